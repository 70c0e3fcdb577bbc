import type { FastifyInstance } from 'fastify';
import type { ReceiverContext } from '../../../src/channel.js';
import type { Logger } from '../../../src/logger.js';
import { loadedByTheReplier, type NormalizedMessage } from '../../../src/message.js';
import { OncePerWindow } from '../../../src/once-per-window.js';
import { userMessages } from '../../../src/pipeline/user-messages.js';
import { appScope } from '../assistants.js';
import { type AppCredentials, COW_CALLBACK_PATHS, type WeworktopConfig } from '../config.js';
import { CallbackRejection, registerUrlVerification, reject, requireFresh, requireQuery } from '../wecom/callback-route.js';
import { WeComCrypto } from '../wecom/crypto.js';
import { parseEnvelope, parseMessageXml } from '../wecom/xml.js';
import { toAppMessage } from './app-message.js';

/** welcome_message goes to a user at most once in this long; the memory of who got it is bounded. */
const WELCOME_EVERY_MS = 24 * 60 * 60 * 1000;
const WELCOMED_USERS_KEPT = 10_000;

/**
 * The self-built apps' (自建应用, private chats) receiving half: each app's callback route, and
 * what it does inside the request (normalize, hand to the intake, greet on enter_agent).
 */
export class AppReceiver {
  private readonly apps: Array<{ credentials: AppCredentials; crypto: WeComCrypto; scope: string | undefined }>;
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
      scope: appScope(section, credentials.agent_id),
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
          accept: (fields) => this.accept(fields, app.credentials.agent_id, app.scope),
          ...(this.kf ? { acceptKf: (fields: Record<string, string>) => this.kf!.accept(fields) } : {}),
        });
      }
    }
  }

  /** Runs inside the HTTP request: only cheap bookkeeping here; resolves once the message is stored. */
  private async accept(fields: Record<string, string>, agentId: string, scope: string | undefined): Promise<void> {
    const { intake } = this.context;
    const message = toAppMessage(fields, agentId, loadedByTheReplier, scope);
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

interface AppCallbackRoute {
  path: string;
  agentId: string;
  crypto: WeComCrypto;
  /** Seconds a callback's timestamp may be off (max_clock_skew); 0: no check. */
  maxClockSkew: number;
  logger: Logger;
  /** Takes a verified, decrypted message; resolves once it is stored (the work goes to the queue). */
  accept(fields: Record<string, string>): Promise<void>;
  /** Takes a 微信客服 event (kf_msg_or_event, kf_account_auth_change) when weworktop.kf is on; it stores what it needs before returning. */
  acceptKf?(fields: Record<string, string>): void | Promise<void>;
}

/** 微信客服's events come to the app's callback URL; kf_msg_or_event names no sender. */
const KF_EVENTS = new Set(['kf_msg_or_event', 'kf_account_auth_change']);

/**
 * The self-built app's "receive messages" URL: GET verifies the URL, POST delivers encrypted XML.
 * The ack (HTTP 200, empty body) is sent as soon as the message is verified, stored and queued.
 */
function registerAppCallback(server: FastifyInstance, route: AppCallbackRoute): void {
  const log = route.logger.child({ module: 'callback', agent: route.agentId });

  registerUrlVerification(server, { path: route.path, crypto: route.crypto, log, what: 'callback URL' });

  server.post(route.path, async (request, reply) => {
    try {
      const query = requireQuery(request.query, ['msg_signature', 'timestamp', 'nonce']);
      if (typeof request.body !== 'string' || request.body === '') throw new CallbackRejection(400, 'empty body');
      const envelope = parseEnvelope(request.body);
      const plaintext = route.crypto.openCallback(query, envelope.encrypt);
      requireFresh(query.timestamp, route.maxClockSkew);
      const fields = parseMessageXml(plaintext);
      if (fields.MsgType?.toLowerCase() === 'event' && KF_EVENTS.has(fields.Event ?? '')) {
        if (route.acceptKf) await route.acceptKf(fields);
        else log.info({ event: fields.Event }, '微信客服 event while weworktop.kf.enabled is false: acknowledged, not handled');
        return reply.status(200).send('');
      }
      if (!hasSender(fields)) {
        log.info({ event: fields.Event ?? '' }, 'event without a sender: acknowledged, not handled');
        return reply.status(200).send('');
      }
      await route.accept(fields);
      return reply.status(200).send('');
    } catch (error) {
      return reject(reply, log, error, 'message callback');
    }
  });
}

/**
 * A user's message names its sender (FromUserName): one without is refused, never answered to "".
 * An event without one is acknowledged and left (false).
 */
function hasSender(fields: Record<string, string>): boolean {
  if ((fields.FromUserName ?? '').trim() !== '') return true;
  if (fields.MsgType?.toLowerCase() === 'event') return false;
  throw new CallbackRejection(400, `signed ${fields.MsgType} message without a sender (empty FromUserName)`);
}
