import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Channel, ChannelDeps } from '../../src/channel.js';
import type { Logger } from '../../src/logger.js';
import type { NormalizedMessage } from '../../src/message.js';
import { MessageIntake } from '../../src/message-intake.js';
import { OncePerWindow } from '../../src/once-per-window.js';
import { userMessages } from '../../src/pipeline/user-messages.js';
import { AiBotReceiver } from './aibot/aibot-receiver.js';
import { isAiBotMessage } from './aibot/aibot-message.js';
import { registerAppCallback } from './app/app-route.js';
import { createCallbackServer } from './wecom/callback-route.js';
import { ConfigError } from '../../src/config/config-error.js';
import { appsOf, callbackTimeouts, checkAiBotKeys, COW_CALLBACK_PATHS, type AppCredentials, type WeworktopConfig } from './config.js';
import { consoleHint } from './console-hint.js';
import { WeComCrypto } from './wecom/crypto.js';
import { registerHealthRoutes } from './health-routes.js';
import { loadedByTheReplier, toNormalizedMessage } from './app/app-message.js';

interface ReceivedApp {
  credentials: AppCredentials;
  crypto: WeComCrypto;
}

/**
 * `channel_type: "weworktop"`, its receiving half: the callback server of the WeCom self-built
 * apps (自建应用, private chats), one or more per process, and of the AI bot (智能机器人, group
 * chats) on a second route. Everything here is fast and in memory or the inbox; answers are
 * written and sent by the replier (weworktop-replier.ts) on the answer worker.
 */
/** welcome_message goes to a user at most once in this long; the memory of who got it is bounded. */
const WELCOME_EVERY_MS = 24 * 60 * 60 * 1000;
const WELCOMED_USERS_KEPT = 10_000;

export class WeworktopChannel implements Channel {
  readonly name = 'weworktop';
  readonly server: FastifyInstance;
  readonly intake: MessageIntake;
  private readonly section: WeworktopConfig;
  private readonly apps = new Map<string, ReceivedApp>();
  private readonly log: Logger;
  private readonly aibot: AiBotReceiver | undefined;
  private closing = false;
  /** Users greeted with welcome_message in the last day (enter_agent comes with every opening of the app). */
  private readonly welcomed = new OncePerWindow(WELCOME_EVERY_MS, WELCOMED_USERS_KEPT);

  constructor(private readonly deps: ChannelDeps) {
    this.section = deps.config.weworktop as WeworktopConfig;
    this.log = deps.logger.child({ module: 'weworktop' });
    this.server = createCallbackServer(this.log, () => this.closing, callbackTimeouts(this.section));
    const { config } = deps;
    this.intake = new MessageIntake({
      channel: this.name,
      rules: deps.rules,
      logger: this.log,
      inbox: deps.inbox,
      answers: deps.answers,
      maxOutstanding: config.max_queue + config.concurrency,
      rateLimitPerMinute: config.rate_limit_per_minute,
      onBusy: (message) => this.notice(message, userMessages.busy),
      onRateLimited: (message) => this.notice(message, userMessages.rateLimited(config.rate_limit_per_minute)),
    });
    for (const credentials of appsOf(this.section)) {
      this.apps.set(credentials.agent_id, { credentials, crypto: new WeComCrypto({ token: credentials.token, encodingAesKey: credentials.aes_key, receiveId: this.section.corp_id }) });
    }
    this.aibot = checkAiBotKeys(this.section.bot)
      ? new AiBotReceiver({
          config: this.section.bot,
          groupNames: this.section.group_names,
          welcomeMessage: this.section.welcome_message,
          maxClockSkew: this.section.max_clock_skew,
          intake: this.intake,
          rules: deps.rules,
          link: deps.answers.link,
          logger: this.log,
        })
      : undefined;
  }

  async start(): Promise<void> {
    const primary = [...this.apps.values()][0];
    for (const app of this.apps.values()) {
      const paths = [app.credentials.callback_path, ...(app === primary && this.section.cow_callback_path ? COW_CALLBACK_PATHS : [])];
      for (const path of paths) {
        registerAppCallback(this.server, {
          path,
          agentId: app.credentials.agent_id,
          crypto: app.crypto,
          maxClockSkew: this.section.max_clock_skew,
          logger: this.deps.logger,
          accept: (fields) => this.accept(fields, app),
        });
      }
    }
    this.aibot?.register(this.server);
    registerHealthRoutes(this.server, { ready: () => this.ready() });
    // Before listening, so a user's new messages queue behind the ones left from the last run.
    const replayed = this.intake.replay();
    this.aibot?.reopen(replayed);
    await this.listen();
    const paths = [...[...this.apps.values()].map((app) => app.credentials.callback_path), ...(this.section.cow_callback_path ? [COW_CALLBACK_PATHS[0]!] : []), ...(this.aibot ? [this.aibot.path] : [])].join(',');
    this.log.info(`weworktop: listening on ${this.section.host}:${this.port} ${paths} agents=${[...this.apps.keys()].join(',')}`);
    this.log.info(consoleHint({ port: this.port, apps: [...this.apps.values()].map((app) => app.credentials), cowPath: this.section.cow_callback_path, botPath: this.aibot?.path, configFile: this.deps.configFile }));
  }

  /** A port that is taken, or needs root, is a config problem: the error names the key. */
  private async listen(): Promise<void> {
    try {
      await this.server.listen({ host: this.section.host, port: this.section.port });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new ConfigError('weworktop.port', 'a free port', `${this.section.port}, which another process listens on (EADDRINUSE: another weworktop still running?)`);
      if (code === 'EACCES') throw new ConfigError('weworktop.port', 'a port this user may open', `${this.section.port}, which needs root (EACCES): use a port above 1023 behind a reverse proxy`);
      if (code === 'EADDRNOTAVAIL') throw new ConfigError('weworktop.host', 'an address of this machine (or "0.0.0.0")', `"${this.section.host}" (EADDRNOTAVAIL)`);
      throw error;
    }
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
    this.aibot?.stop();
    const finished = await this.intake.drain(this.deps.config.shutdown_timeout * 1000);
    if (!finished) this.log.warn({ shutdown_timeout: this.deps.config.shutdown_timeout }, 'shutdown: answers still running are left pending for the next start');
    await this.server.close();
  }

  /** For /readyz: not shutting down, the inbox answers, and the replier can send (every app can get an access token). */
  private async ready(): Promise<{ ok: boolean; reason?: string }> {
    if (this.closing) return { ok: false, reason: 'shutting down' };
    if (!this.deps.inbox.healthy()) return { ok: false, reason: 'inbox store unavailable' };
    return this.deps.answers.ready();
  }

  /** A short notice from the intake; AI bot messages get theirs in the callback answer instead. */
  private notice(message: NormalizedMessage, text: string): void {
    if (isAiBotMessage(message)) return;
    this.intake.notify(this.deps.rules.sessionKey(message), message.raw, text);
  }

  /** Runs inside the HTTP request: only cheap bookkeeping here; resolves once the message is stored. */
  private async accept(fields: Record<string, string>, app: ReceivedApp): Promise<void> {
    const agentId = app.credentials.agent_id;
    const message = toNormalizedMessage(fields, agentId, loadedByTheReplier);
    const user = fields.FromUserName ?? '';
    if (!message) {
      if (await this.intake.seen(`${agentId}:msg:${fields.MsgId ?? fields.CreateTime}`)) return;
      this.log.warn({ msgType: fields.MsgType, from: user }, 'unsupported MsgType; telling the user');
      this.intake.notify(user, { route: 'app', agentId, fields }, userMessages.unsupportedKind);
      return;
    }
    if ((await this.intake.submit(message)) !== 'accepted') return;
    if (this.log.isLevelEnabled('info')) this.log.info({ id: message.id, from: user, kind: message.kind }, 'message received');
    if (message.kind === 'event') this.onEvent(message);
  }

  private onEvent(message: NormalizedMessage): void {
    const user = message.senderId;
    if (message.text === 'subscribe' || message.text === 'unsubscribe') this.log.info({ user, event: message.text }, 'membership event');
    // WeCom sends enter_agent every time the app is opened: the welcome goes once a day per user.
    if (message.text === 'enter_agent' && this.section.welcome_message && this.welcomed.take(user)) this.intake.notify(this.deps.rules.sessionKey(message), message.raw, this.section.welcome_message);
  }
}
