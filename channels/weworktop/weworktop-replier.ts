import type { ChannelCapabilities, Replier, ReplierDeps, ReplyContext } from '../../src/channel.js';
import type { Logger } from '../../src/logger.js';
import { createAmrEncoder } from '../../src/media/audio-codec.js';
import type { NormalizedMessage } from '../../src/message.js';
import type { Reply } from '../../src/reply.js';
import { UserFacingError } from '../../src/user-facing-error.js';
import { isTransient } from '../../src/transient.js';
import { AiBotReplier } from './aibot/aibot-replier.js';
import { isAiBotMessage, type AiBotMessageRaw } from './aibot/aibot-message.js';
import { appsOf, checkAiBotKeys, type AppCredentials, type WeworktopConfig } from './config.js';
import { createWeComHttp } from './http-client.js';
import { toNormalizedMessage, type AppMessageRaw, type MediaLoader } from './inbound-message.js';
import { ReplySender, UPLOAD_LIMITS } from './reply-sender.js';
import { SendPacer } from './send-pacer.js';
import { WeComApiClient } from './wecom-api-client.js';

const KIND_NAMES = { image: '图片', voice: '语音', video: '视频', file: '文件' } as const;

/** Self-built apps send text, markdown, images, voice and files through message/send. */
const APP_CAPABILITIES: ChannelCapabilities = { voice: true, image: true, file: true, streaming: false };
/** The AI bot answers in streams of markdown and images; it cannot send voice or files. */
const AIBOT_CAPABILITIES: ChannelCapabilities = { voice: false, image: true, file: false, streaming: true };

interface SendingApp {
  credentials: AppCredentials;
  api: WeComApiClient;
  sender: ReplySender;
}

type StoredRaw = AppMessageRaw | AiBotMessageRaw;

/**
 * `channel_type: "weworktop"`, its answering half (on the answer worker): each app's WeCom API
 * client (access tokens, retries) and reply sender (split, paced), and the AI bot's streams and
 * response_url. Messages come here as their stored form and are rebuilt with media loaders.
 */
export class WeworktopReplier implements Replier {
  readonly name = 'weworktop';
  private readonly apps = new Map<string, SendingApp>();
  private readonly pacer = new SendPacer({ maxPerWindow: 30, windowMs: 60_000 });
  private readonly aibot: AiBotReplier | undefined;
  private readonly log: Logger;

  constructor(deps: ReplierDeps) {
    const section = deps.config.weworktop as WeworktopConfig;
    this.log = deps.logger.child({ module: 'weworktop' });
    for (const credentials of appsOf(section)) {
      const api = new WeComApiClient({
        apiBase: section.api_base,
        corpId: section.corp_id,
        agentId: credentials.agent_id,
        secret: credentials.corp_secret,
        proxy: section.proxy,
        timeoutMs: section.api_timeout * 1000,
        retries: section.api_retries,
        retryBaseDelayMs: section.api_retry_delay_ms,
        logger: deps.logger,
      });
      const sender = new ReplySender({ api, pacer: this.pacer, enableMarkdown: section.enable_markdown, logger: this.log, encodeVoice: createAmrEncoder(deps.config.ffmpeg_path) });
      this.apps.set(credentials.agent_id, { credentials, api, sender });
    }
    this.aibot = checkAiBotKeys(section.bot)
      ? new AiBotReplier({ config: section.bot, groupNames: section.group_names, link: deps.link, http: createWeComHttp({ timeoutMs: section.api_timeout * 1000, proxy: section.proxy }), logger: this.log })
      : undefined;
  }

  capabilitiesFor(message: NormalizedMessage): ChannelCapabilities {
    return isAiBotMessage(message) ? AIBOT_CAPABILITIES : APP_CAPABILITIES;
  }

  revive(raw: unknown): NormalizedMessage | undefined {
    const stored = raw as StoredRaw | null;
    if (stored?.route === 'aibot') return this.aibot?.revive(stored);
    if (stored?.route !== 'app') return undefined;
    const app = this.apps.get(stored.agentId);
    return app ? toNormalizedMessage(stored.fields, app.credentials.agent_id, this.mediaLoader(app)) : undefined;
  }

  /** An app's replies need its access token: without one the LLM is not asked yet. */
  async prepare(message: NormalizedMessage): Promise<void> {
    const raw = message.raw as StoredRaw;
    if (raw.route === 'app') await this.appOf(raw).api.tokens.get();
  }

  begin(message: NormalizedMessage, job: { replayed: boolean; receivedAt: number }): { onPartial?: (text: string) => void } {
    return isAiBotMessage(message) && this.aibot ? this.aibot.begin(message, job) : {};
  }

  end(message: NormalizedMessage, result: 'answered' | 'given-up'): 'delivered' | 'receiver' {
    return isAiBotMessage(message) && this.aibot ? this.aibot.end(message, result) : 'delivered';
  }

  async send(reply: Reply, context: ReplyContext): Promise<void> {
    const raw = context.message.raw as StoredRaw;
    if (raw.route === 'aibot') {
      if (!this.aibot) throw new Error('AI bot reply without an AI bot configured');
      return this.aibot.deliver(reply, context);
    }
    await this.appOf(raw).sender.send(reply, context.message.senderId, context.parts);
  }

  async notify(raw: unknown, text: string): Promise<void> {
    const stored = raw as StoredRaw;
    if (stored.route === 'aibot') return this.aibot?.notify(stored.callback, text);
    await this.appOf(stored).sender.sendText(text, stored.fields.FromUserName ?? '');
  }

  /**
   * At start, once: an access token for every app, so a wrong corp_id or corp_secret, or a server
   * IP outside 企业可信IP, shows in the log now, not at the first user's message. In the background:
   * it never delays the callback server or its acks.
   */
  async checkAccessTokens(): Promise<void> {
    const results = await Promise.all([...this.apps].map(async ([agentId, app]) => ({ agentId, error: await app.api.tokens.get().then(() => undefined, (error: unknown) => error) })));
    const fine = results.filter((result) => !result.error).map((result) => result.agentId);
    if (fine.length > 0) this.log.info(`start-up check: WeCom issued an access token for agent ${fine.join(', ')}: corp_id and corp_secret are right (the trusted IP list, 企业可信IP, is checked at the first send)`);
    for (const { agentId, error } of results) {
      if (error) this.log.error({ agent: agentId }, `start-up check: no access token, so no reply can be sent: ${describe(error)}`);
    }
  }

  /** Every app can get an access token. */
  async ready(): Promise<{ ok: boolean; reason?: string }> {
    for (const [agentId, app] of this.apps) {
      try {
        await app.api.tokens.get();
      } catch (error) {
        return { ok: false, reason: `agent ${agentId}: no access token (${describe(error)})` };
      }
    }
    return { ok: true };
  }

  async close(): Promise<void> {
    for (const app of this.apps.values()) app.api.close();
    this.aibot?.close();
  }

  private appOf(raw: AppMessageRaw): SendingApp {
    const app = this.apps.get(raw.agentId);
    if (!app) throw new Error(`no app with agent id ${raw.agentId}`);
    return app;
  }

  private mediaLoader(app: SendingApp): MediaLoader {
    return (mediaId, kind) => async () => {
      try {
        return (await app.api.downloadMedia(mediaId, UPLOAD_LIMITS[kind] * 2)).data;
      } catch (error) {
        this.log.warn({ mediaId, kind, err: describe(error) }, 'media download failed');
        // An outage (-1, 5xx) is retried with the message; the user hears this sentence on its last try.
        throw new UserFacingError(`没能从企业微信取到这条${KIND_NAMES[kind]}，请再发一次。`, { cause: error, transient: isTransient(error) });
      }
    };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
