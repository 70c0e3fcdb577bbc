import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Channel, ChannelCapabilities, ChannelDeps, ReplyContext } from '../../src/channel.js';
import { ConfigError } from '../../src/config/config-error.js';
import type { Logger } from '../../src/logger.js';
import { createAmrEncoder } from '../../src/media/audio-codec.js';
import type { NormalizedMessage } from '../../src/message.js';
import { userMessages } from '../../src/pipeline/user-messages.js';
import { MessageIntake } from '../../src/message-intake.js';
import type { Reply } from '../../src/reply.js';
import { UserFacingError } from '../../src/user-facing-error.js';
import { AiBotReceiver } from './aibot/aibot-receiver.js';
import { isAiBotMessage, type AiBotMessageRaw } from './aibot/aibot-message.js';
import { registerAppCallback } from './app-callback-route.js';
import { createCallbackServer } from './callback-server.js';
import { registerHealthRoutes } from './health-routes.js';
import { createWeComHttp } from './http-client.js';
import { appsOf, type AppCredentials, type WeworktopConfig } from './config.js';
import { WeComCrypto } from './crypto.js';
import { toNormalizedMessage, type AppMessageRaw, type MediaLoader } from './inbound-message.js';
import { ReplySender, UPLOAD_LIMITS } from './reply-sender.js';
import { SendPacer } from './send-pacer.js';
import { WeComApiClient } from './wecom-api-client.js';

/** Backoff between tries of a failing message stops growing here. */
const MAX_RETRY_DELAY_MS = 5 * 60 * 1000;
const KIND_NAMES = { image: '图片', voice: '语音', video: '视频', file: '文件' } as const;

interface ServedApp {
  credentials: AppCredentials;
  crypto: WeComCrypto;
  api: WeComApiClient;
  sender: ReplySender;
}

/** The AI bot answers in streams of markdown and images; it cannot send voice or files. */
const AIBOT_CAPABILITIES: ChannelCapabilities = { voice: false, image: true, file: false, streaming: true };

/**
 * `channel_type: "weworktop"`: WeCom self-built apps (自建应用, private chats), one or more per
 * process, and optionally the AI bot (智能机器人, group chats) on a second route.
 */
export class WeworktopChannel implements Channel {
  readonly name = 'weworktop';
  readonly capabilities: ChannelCapabilities = { voice: true, image: true, file: true, streaming: false };
  readonly server: FastifyInstance;
  private readonly section: WeworktopConfig;
  private readonly apps = new Map<string, ServedApp>();
  readonly intake: MessageIntake;
  private readonly pacer = new SendPacer({ maxPerWindow: 30, windowMs: 60_000 });
  private readonly log: Logger;
  private readonly aibot: AiBotReceiver | undefined;
  private closing = false;

  constructor(private readonly deps: ChannelDeps) {
    this.section = deps.config.weworktop as WeworktopConfig;
    this.log = deps.logger.child({ module: 'weworktop' });
    this.server = createCallbackServer(this.log, () => this.closing);
    const { config } = deps;
    this.intake = new MessageIntake({
      channel: this,
      handler: deps.handler,
      logger: this.log,
      inbox: deps.inbox,
      concurrency: config.concurrency,
      maxQueue: config.max_queue,
      retry: { maxAttempts: config.max_attempts, baseDelayMs: config.retry_delay_ms, maxDelayMs: MAX_RETRY_DELAY_MS },
      rateLimitPerMinute: config.rate_limit_per_minute,
      onBusy: (message) => this.notice(message, userMessages.busy),
      onRateLimited: (message) => this.notice(message, userMessages.rateLimited(config.rate_limit_per_minute)),
      onGiveUp: (message) => this.send({ type: 'error', text: userMessages.gaveUp }, { message, sessionId: message.senderId }),
    });
    for (const credentials of appsOf(this.section)) {
      const api = new WeComApiClient({
        apiBase: this.section.api_base,
        corpId: this.section.corp_id,
        agentId: credentials.agent_id,
        secret: credentials.corp_secret,
        proxy: this.section.proxy,
        timeoutMs: this.section.api_timeout * 1000,
        retries: this.section.api_retries,
        retryBaseDelayMs: this.section.api_retry_delay_ms,
        logger: deps.logger,
      });
      this.apps.set(credentials.agent_id, {
        credentials,
        crypto: new WeComCrypto({ token: credentials.token, encodingAesKey: credentials.aes_key, receiveId: this.section.corp_id }),
        api,
        sender: new ReplySender({ api, pacer: this.pacer, enableMarkdown: this.section.enable_markdown, logger: this.log, encodeVoice: createAmrEncoder(deps.config.ffmpeg_path) }),
      });
    }
    this.aibot = this.createAiBot();
  }

  private createAiBot(): AiBotReceiver | undefined {
    const { bot } = this.section;
    if (!bot.token && !bot.aes_key) return undefined;
    if (!bot.token || !bot.aes_key) {
      const missing = bot.token ? 'aes_key' : 'token';
      throw new ConfigError(`weworktop.bot.${missing}`, `a value (the AI bot needs both token and aes_key)`, 'nothing');
    }
    return new AiBotReceiver({
      config: bot,
      groupNames: this.section.group_names,
      welcomeMessage: this.section.welcome_message,
      maxClockSkew: this.section.max_clock_skew,
      intake: this.intake,
      handler: this.deps.handler,
      channel: this,
      http: createWeComHttp({ timeoutMs: this.section.api_timeout * 1000, proxy: this.section.proxy }),
      logger: this.log,
    });
  }

  async start(): Promise<void> {
    for (const app of this.apps.values()) {
      registerAppCallback(this.server, {
        path: app.credentials.callback_path,
        agentId: app.credentials.agent_id,
        crypto: app.crypto,
        maxClockSkew: this.section.max_clock_skew,
        logger: this.deps.logger,
        accept: (fields) => this.accept(fields, app),
      });
    }
    this.aibot?.register(this.server);
    registerHealthRoutes(this.server, { ready: () => this.ready() });
    // Before listening, so a user's new messages queue behind the ones left from the last run.
    this.intake.replay((entry) => this.revive(entry.raw));
    await this.server.listen({ host: this.section.host, port: this.section.port });
    const paths = [...[...this.apps.values()].map((app) => app.credentials.callback_path), ...(this.aibot ? [this.aibot.path] : [])].join(',');
    this.log.info(`weworktop: listening on ${this.section.host}:${this.port} ${paths} agents=${[...this.apps.keys()].join(',')}`);
  }

  /** The bound port (the configured one, or the one the OS chose for port 0). */
  get port(): number {
    return (this.server.server.address() as AddressInfo | null)?.port ?? this.section.port;
  }

  /**
   * Callbacks get 503 from now on (WeCom retries them later), messages being answered get up to
   * shutdown_timeout, and everything else stays in the inbox for the next start.
   */
  async stop(): Promise<void> {
    this.closing = true;
    const timeoutMs = this.deps.config.shutdown_timeout * 1000;
    const finished = await this.intake.drain(timeoutMs);
    if (!finished) this.log.warn({ shutdown_timeout: this.deps.config.shutdown_timeout }, 'shutdown: answers still running are left pending for the next start');
    await this.server.close();
    for (const app of this.apps.values()) app.api.close();
  }

  /** For /readyz: not shutting down, the inbox answers, and every app can get an access token. */
  private async ready(): Promise<{ ok: boolean; reason?: string }> {
    if (this.closing) return { ok: false, reason: 'shutting down' };
    if (!this.deps.inbox.healthy()) return { ok: false, reason: 'inbox store unavailable' };
    for (const [agentId, app] of this.apps) {
      try {
        await app.api.tokens.get();
      } catch (error) {
        return { ok: false, reason: `agent ${agentId}: no access token (${describe(error)})` };
      }
    }
    return { ok: true };
  }

  /** Rebuilds a message left pending by the last run from its stored payload. */
  private revive(raw: unknown): NormalizedMessage | undefined {
    const stored = raw as AppMessageRaw | AiBotMessageRaw | null;
    if (stored?.route === 'aibot') return this.aibot?.toMessage(stored.callback);
    if (stored?.route !== 'app') return undefined;
    const app = this.apps.get(stored.agentId);
    return app ? toNormalizedMessage(stored.fields, app.credentials.agent_id, this.mediaLoader(app)) : undefined;
  }

  /** A short notice from the intake; AI bot messages get theirs in the callback answer instead. */
  private async notice(message: NormalizedMessage, text: string): Promise<void> {
    if (isAiBotMessage(message)) return;
    await this.send({ type: 'text', text }, { message, sessionId: message.senderId });
  }

  capabilitiesFor(message: NormalizedMessage): ChannelCapabilities {
    return isAiBotMessage(message) ? AIBOT_CAPABILITIES : this.capabilities;
  }

  async send(reply: Reply, context: ReplyContext): Promise<void> {
    const raw = context.message.raw as AppMessageRaw | AiBotMessageRaw;
    if (raw.route === 'aibot') {
      if (!this.aibot) throw new Error('AI bot reply without an AI bot configured');
      return this.aibot.deliver(reply, context);
    }
    const app = this.apps.get(raw.agentId);
    if (!app) throw new Error(`no app with agent id ${raw.agentId}`);
    await app.sender.send(reply, context.message.senderId);
  }

  /** Runs inside the HTTP request: only cheap bookkeeping here, the work is queued. */
  private async accept(fields: Record<string, string>, app: ServedApp): Promise<void> {
    const message = toNormalizedMessage(fields, app.credentials.agent_id, this.mediaLoader(app));
    const user = fields.FromUserName ?? '';
    if (!message) {
      if (await this.intake.seen(`${app.credentials.agent_id}:msg:${fields.MsgId ?? fields.CreateTime}`)) return;
      this.log.warn({ msgType: fields.MsgType, from: user }, 'unsupported MsgType; telling the user');
      this.intake.run(user, () => app.sender.sendText(userMessages.unsupportedKind, user));
      return;
    }
    if ((await this.intake.submit(message)) !== 'accepted') return;
    this.log.info({ id: message.id, from: user, kind: message.kind }, 'message received');
    if (message.kind === 'event') this.onEvent(message, app);
  }

  private onEvent(message: NormalizedMessage, app: ServedApp): void {
    const user = message.senderId;
    if (message.text === 'subscribe' || message.text === 'unsubscribe') this.log.info({ user, event: message.text }, 'membership event');
    if (message.text === 'enter_agent' && this.section.welcome_message) {
      this.intake.run(this.deps.handler.sessionKey(message), () => app.sender.sendText(this.section.welcome_message, user));
    }
  }

  private mediaLoader(app: ServedApp): MediaLoader {
    return (mediaId, kind) => async () => {
      try {
        return (await app.api.downloadMedia(mediaId, UPLOAD_LIMITS[kind] * 2)).data;
      } catch (error) {
        this.log.warn({ mediaId, kind, err: describe(error) }, 'media download failed');
        throw new UserFacingError(`没能从企业微信取到这条${KIND_NAMES[kind]}，请再发一次。`, { cause: error });
      }
    };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
