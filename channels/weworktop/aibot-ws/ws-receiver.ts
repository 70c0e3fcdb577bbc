import { randomBytes } from 'node:crypto';
import type { ChannelLink, ExclusiveHolds, Intake, MessageRules } from '../../../src/channel.js';
import type { Logger } from '../../../src/logger.js';
import { loadedByTheReplier } from '../../../src/message.js';
import type { Metrics } from '../../../src/metrics/metrics.js';
import { userMessages } from '../../../src/pipeline/user-messages.js';
import { withoutQuote } from '../aibot/aibot-message.js';
import type { WsBot } from '../config.js';
import { AnswersInFlight } from './answers-in-flight.js';
import { BotConnection } from './bot-connection.js';
import { CALLBACK_REPLIES, streamFrame, WS_CMD, type WsFrame, welcomeFrame } from './ws-frames.js';
import { type FrameResult, isWsAnswerDone, isWsCall, type WsCall, type WsCallResult } from './ws-link.js';
import { type AiBotWsMessageRaw, readCallback, toWsMessage, wsMessageId } from './ws-message.js';

/** A user has at most three answers in flight with one AI bot (https://developer.work.weixin.qq.com/document/path/100719). */
const MAX_IN_FLIGHT_PER_USER = 3;

export interface AiBotWsReceiverOptions {
  bots: WsBot[];
  groupNames: Record<string, string>;
  welcomeMessage: string;
  intake: Intake;
  rules: MessageRules;
  /** To and from the replier, which writes its frames through the connections here. */
  link: ChannelLink;
  logger: Logger;
  /** weworktop_aibot_connected, per bot. */
  metrics: Metrics;
  /** Several processes (store "redis"): each bot's connection is held by one of them at a time. */
  exclusive?: ExclusiveHolds;
}

/**
 * The AI bot's long connection (智能机器人长连接), receiving half, on the main thread: one
 * connection per bot. Messages pushed down a socket go to the intake like the webhook route's;
 * the frames the replier writes (answers, uploads) go out on the socket they belong to.
 */
export class AiBotWsReceiver {
  private readonly connections = new Map<string, BotConnection>();
  private readonly inFlight = new AnswersInFlight();
  private readonly log: Logger;

  constructor(private readonly options: AiBotWsReceiverOptions) {
    this.log = options.logger.child({ module: 'aibot-ws' });
    if (!options.exclusive) for (const bot of options.bots) this.connections.set(bot.bot_id, this.connectionOf(bot));
    options.link.onMessage((message) => {
      if (isWsCall(message)) void this.onCall(message);
      else if (isWsAnswerDone(message)) this.inFlight.done(wsMessageId(message.bot, message.msgid));
    });
  }

  /**
   * Connects every bot; returns at once (a bot that cannot connect says so in the log and /readyz).
   * With several processes, a bot is connected only while this process holds it: the others stand
   * by, and one of them connects once the holder is gone (WeCom allows one connection per bot).
   */
  start(): void {
    const { exclusive } = this.options;
    if (!exclusive) {
      for (const connection of this.connections.values()) connection.start();
      return;
    }
    for (const bot of this.options.bots) {
      exclusive.hold(`bot:${bot.bot_id}`, {
        gained: () => {
          const connection = this.connectionOf(bot);
          this.connections.set(bot.bot_id, connection);
          connection.start();
        },
        lost: () => {
          const connection = this.connections.get(bot.bot_id);
          this.connections.delete(bot.bot_id);
          this.options.metrics.set('weworktop_aibot_connected', 0, { bot: bot.bot_id });
          void connection?.stop();
        },
      });
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.connections.values()].map((connection) => connection.stop()));
  }

  /** The bots connected here (with several processes: those this process holds). */
  ready(): { ok: boolean; reason?: string } {
    const down = [...this.connections.values()].map((connection) => connection.readiness()).filter((state) => !state.ok);
    return down.length === 0 ? { ok: true } : { ok: false, reason: down.map((state) => state.reason).join('; ') };
  }

  private connectionOf(bot: WsBot): BotConnection {
    return new BotConnection({
      bot,
      logger: this.options.logger,
      onCallback: (frame) => void this.onCallback(bot.bot_id, frame),
      onUp: (up) => this.options.metrics.set('weworktop_aibot_connected', up ? 1 : 0, { bot: bot.bot_id }),
    });
  }

  private async onCall(call: WsCall): Promise<void> {
    const result = await this.write(call).catch((error: Error): FrameResult => ({ ok: false, reason: 'down', detail: error.message }));
    this.options.link.post({ type: 'aibot-ws-result', call: call.call, result } satisfies WsCallResult);
  }

  /** A reply to a callback goes only on the connection the callback came on: its req_id dies with it. */
  private async write(call: WsCall): Promise<FrameResult> {
    const connection = this.connections.get(call.bot);
    if (!connection) return { ok: false, reason: 'down', detail: `no AI bot ${call.bot} in this process` };
    const reqId = call.frame.headers.req_id;
    const stale = (): FrameResult => ({ ok: false, reason: 'stale', detail: 'the callback came on a connection that has since closed' });
    const reply = CALLBACK_REPLIES.has(call.frame.cmd ?? '');
    if (reply && !connection.knows(reqId)) return stale();
    if (!(await connection.whenSubscribed(call.waitMs)))
      return { ok: false, reason: 'down', detail: connection.readiness().reason ?? 'not connected' };
    if (reply && !connection.knows(reqId)) return stale();
    return connection.request(call.frame);
  }

  private async onCallback(bot: string, frame: WsFrame): Promise<void> {
    const event = frame.cmd === WS_CMD.eventCallback;
    const callback = readCallback(frame.body, event ? 'event' : 'message');
    if ('invalid' in callback) {
      this.log.warn({ bot_id: bot, cmd: frame.cmd }, `aibot ws: ${callback.invalid}; ignored`);
      return;
    }
    const raw: AiBotWsMessageRaw = { route: 'aibot-ws', bot, reqId: frame.headers.req_id, callback };
    try {
      if (event) await this.onEvent(raw);
      else await this.onMessage(raw);
    } catch (error) {
      this.log.error(
        { bot_id: bot, id: callback.msgid, err: (error as Error).message },
        'aibot ws: message could not be taken in (the inbox?)',
      );
    }
  }

  private async onEvent(raw: AiBotWsMessageRaw): Promise<void> {
    const { callback } = raw;
    const event = callback.event?.eventtype ?? 'unknown';
    if (await this.options.intake.seen(wsMessageId(raw.bot, callback.msgid))) return;
    this.log.info({ bot_id: raw.bot, event, from: callback.from?.userid, chat: callback.chatid }, 'AI bot event');
    // WeCom takes the welcome within 5 s of enter_chat, on the event's own req_id.
    if (event === 'enter_chat' && this.options.welcomeMessage) this.reply(raw, welcomeFrame(raw.reqId, this.options.welcomeMessage));
  }

  private async onMessage(raw: AiBotWsMessageRaw): Promise<void> {
    const { intake, rules } = this.options;
    const { callback, bot } = raw;
    const id = wsMessageId(bot, callback.msgid);
    const message = toWsMessage(raw, this.options.groupNames, loadedByTheReplier);
    if (!message) {
      if (await intake.seen(id)) return;
      this.log.warn(
        { bot_id: bot, msgtype: callback.msgtype, from: callback.from?.userid },
        'unsupported AI bot msgtype; telling the user',
      );
      return this.notice(raw, userMessages.unsupportedKind);
    }
    const log = { id, from: message.senderId, chat: callback.chatid, group: message.groupName };
    if (!rules.wouldAnswer(withoutQuote(message))) {
      if (!(await intake.pass(message)))
        this.log.info(log, 'AI bot message not for the bot (group white list or trigger rules); no answer');
      return;
    }
    const user = `${bot}|${message.senderId}`;
    if (this.inFlight.count(user) >= MAX_IN_FLIGHT_PER_USER) {
      if (await intake.seen(id)) return;
      this.log.warn(log, `user already has ${MAX_IN_FLIGHT_PER_USER} answers in flight; told to wait`);
      return this.notice(raw, userMessages.stillAnswering);
    }
    const outcome = await intake.submit(message, { ownNotices: true });
    if (outcome === 'duplicate') return;
    if (outcome === 'accepted') {
      this.inFlight.add(id, user);
      this.log.info({ ...log, kind: message.kind }, 'AI bot message received');
      return;
    }
    this.notice(raw, outcome === 'busy' ? userMessages.busy : userMessages.rateLimited(intake.rateLimitPerMinute));
  }

  /** A short answer of the receiver's own: a finished stream on the message's req_id. */
  private notice(raw: AiBotWsMessageRaw, text: string): void {
    this.reply(raw, streamFrame(raw.reqId, randomBytes(12).toString('hex'), text, true));
  }

  /** Fire and forget: a notice that does not arrive is logged, not retried. */
  private reply(raw: AiBotWsMessageRaw, frame: WsFrame): void {
    void this.connections
      .get(raw.bot)
      ?.request(frame)
      .then((result) => {
        if (!result.ok) this.log.warn({ bot_id: raw.bot, cmd: frame.cmd, ...result }, 'aibot ws: notice not delivered');
      });
  }
}
