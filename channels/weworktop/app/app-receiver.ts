import type { FastifyInstance } from 'fastify';
import type { ReceiverContext } from '../../../src/channel.js';
import type { Logger } from '../../../src/logger.js';
import { loadedByTheReplier, type NormalizedMessage } from '../../../src/message.js';
import { OncePerWindow } from '../../../src/once-per-window.js';
import { userMessages } from '../../../src/pipeline/user-messages.js';
import { appScope } from '../assistants.js';
import { type AppCredentials, COW_CALLBACK_PATHS, type WeworktopConfig } from '../config.js';
import { WeComCrypto } from '../wecom/crypto.js';
import { toAppMessage } from './app-message.js';
import { registerAppCallback } from './app-route.js';

/** welcome_message goes to a user at most once in this long; the memory of who got it is bounded. */
const WELCOME_EVERY_MS = 24 * 60 * 60 * 1000;
const WELCOMED_USERS_KEPT = 10_000;

/**
 * The self-built apps' (自建应用, private chats) receiving half: each app's callback route, and
 * what it does inside the request (normalize, hand to the intake, greet on enter_agent).
 */
export class AppReceiver {
  private readonly apps: Array<{ credentials: AppCredentials; crypto: WeComCrypto }>;
  private readonly log: Logger;
  /** Users greeted with welcome_message in the last day (enter_agent comes with every opening of the app). */
  private readonly welcomed = new OncePerWindow(WELCOME_EVERY_MS, WELCOMED_USERS_KEPT);

  constructor(
    private readonly context: ReceiverContext,
    private readonly section: WeworktopConfig,
    apps: AppCredentials[],
    /** 微信客服, when on: its events arrive on the apps' callback URLs. */
    private readonly kf?: { accept(fields: Record<string, string>): void },
  ) {
    this.log = context.logger.child({ module: 'weworktop' });
    this.apps = apps.map((credentials) => ({
      credentials,
      crypto: new WeComCrypto({ token: credentials.token, encodingAesKey: credentials.aes_key, receiveId: section.corp_id }),
    }));
  }

  /** Each app's callback path (the first one also on CoW's /wxcomapp when asked). */
  get paths(): string[] {
    return [...this.apps.map((app) => app.credentials.callback_path), ...(this.section.cow_callback_path ? [COW_CALLBACK_PATHS[0]!] : [])];
  }

  routes(server: FastifyInstance): void {
    for (const [index, app] of this.apps.entries()) {
      const paths = [app.credentials.callback_path, ...(index === 0 && this.section.cow_callback_path ? COW_CALLBACK_PATHS : [])];
      for (const path of paths) {
        registerAppCallback(server, {
          path,
          agentId: app.credentials.agent_id,
          crypto: app.crypto,
          maxClockSkew: this.section.max_clock_skew,
          logger: this.context.logger,
          accept: (fields) => this.accept(fields, app.credentials.agent_id),
          ...(this.kf ? { acceptKf: (fields: Record<string, string>) => this.kf!.accept(fields) } : {}),
        });
      }
    }
  }

  /** Runs inside the HTTP request: only cheap bookkeeping here; resolves once the message is stored. */
  private async accept(fields: Record<string, string>, agentId: string): Promise<void> {
    const { intake } = this.context;
    const message = toAppMessage(fields, agentId, loadedByTheReplier, appScope(this.section, agentId));
    const user = fields.FromUserName ?? '';
    if (!message) {
      if (await intake.seen(`${agentId}:msg:${fields.MsgId ?? fields.CreateTime}`)) return;
      this.log.warn({ msgType: fields.MsgType, from: user }, 'unsupported MsgType; telling the user');
      intake.notify(user, { route: 'app', agentId, fields }, userMessages.unsupportedKind);
      return;
    }
    if ((await intake.submit(message)) !== 'accepted') return;
    if (this.log.isLevelEnabled('info')) this.log.info({ id: message.id, from: user, kind: message.kind }, 'message received');
    if (message.kind === 'event') this.onEvent(message);
  }

  private onEvent(message: NormalizedMessage): void {
    const user = message.senderId;
    if (message.text === 'subscribe' || message.text === 'unsubscribe') this.log.info({ user, event: message.text }, 'membership event');
    // WeCom sends enter_agent every time the app is opened: the welcome goes once a day per user.
    if (message.text === 'enter_agent' && this.section.welcome_message && this.welcomed.take(user)) {
      this.context.intake.notify(this.context.rules.sessionKey(message), message.raw, this.section.welcome_message);
    }
  }
}
