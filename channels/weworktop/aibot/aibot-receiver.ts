import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ChannelLink, Intake, MessageRules, PendingMessage, SharedState } from '../../../src/channel.js';
import type { Logger } from '../../../src/logger.js';
import { loadedByTheReplier, type NormalizedMessage } from '../../../src/message.js';
import { userMessages } from '../../../src/pipeline/user-messages.js';
import { webhookBotScope } from '../assistants.js';
import type { AiBotConfig } from '../config.js';
import { WeComCrypto } from '../wecom/crypto.js';
import { finishedStreamAnswer, streamAnswer } from './aibot-answers.js';
import { type AiBotCallback, type AiBotMessageRaw, aiBotMessageId, toAiBotMessage, withoutQuote } from './aibot-message.js';
import { registerAiBotCallback } from './aibot-route.js';
import { type ReplyStream, ReplyStreams } from './reply-streams.js';
import { SharedReplyStreams } from './shared-reply-streams.js';
import { isStreamUpdate, STREAM_TTL_MS, type StreamUpdate } from './stream-link.js';

/** A user has at most three messages in flight with one AI bot (https://developer.work.weixin.qq.com/document/path/100719). */
const MAX_IN_FLIGHT_PER_USER = 3;
/**
 * WeCom polls an open stream every second or two; a finished answer it has not fetched this long
 * after is sent again through response_url (WeCom may have stopped polling, e.g. while we were down).
 */
const FETCH_GRACE_MS = 15_000;
const UNFETCHED_CHECK_MS = 1_000;

export interface AiBotReceiverOptions {
  config: AiBotConfig;
  groupNames: Record<string, string>;
  welcomeMessage: string;
  maxClockSkew: number;
  intake: Intake;
  rules: MessageRules;
  /** From the AI bot replier: the streams' text as the answers are written. */
  link: ChannelLink;
  logger: Logger;
  /** Several processes (store "redis"): the streams live there, for polls reaching any process. */
  shared?: SharedState;
}

/**
 * The AI bot (智能机器人) route of the weworktop channel, receiving half: group chats and bot
 * DMs. A new message is answered in the callback itself by opening a reply stream; the replier on
 * the answer worker fills it while the LLM writes (through the link), and WeCom's refresh polls
 * read it here.
 */
export class AiBotReceiver {
  private readonly crypto: WeComCrypto;
  private readonly streams = new ReplyStreams({ ttlMs: STREAM_TTL_MS });
  private readonly log: Logger;
  private readonly unfetchedCheck: NodeJS.Timeout | undefined;
  private readonly shared: SharedReplyStreams | undefined;
  /** Its conversations' scope (assistants.ts). */
  private readonly scope: string;

  constructor(private readonly options: AiBotReceiverOptions) {
    this.scope = webhookBotScope(options.config);
    this.crypto = new WeComCrypto({ token: options.config.token, encodingAesKey: options.config.aes_key, receiveId: '' });
    this.log = options.logger.child({ module: 'aibot', ...(options.config.bot_id ? { bot: options.config.bot_id } : {}) });
    this.shared = options.shared && new SharedReplyStreams(options.shared);
    options.link.onMessage((message) => {
      if (isStreamUpdate(message)) this.onStreamUpdate(message);
    });
    if (options.config.stream) this.unfetchedCheck = setInterval(() => this.redeliverUnfetched(), UNFETCHED_CHECK_MS).unref();
  }

  /**
   * After a restart: the streams of messages still pending are opened again under their old ids,
   * so WeCom's polls find them and get the answer when it is (again) written.
   */
  resume(pending: readonly PendingMessage[]): void {
    const oldest = Date.now() - STREAM_TTL_MS;
    for (const message of pending) {
      const raw = message.raw as AiBotMessageRaw | { route?: undefined };
      if (raw.route !== 'aibot' || raw.streamId === undefined || message.receivedAt < oldest) continue;
      this.streams.reopen(raw.streamId, raw.callback.from?.userid ?? '', raw.callback.msgid, message.receivedAt);
    }
  }

  stop(): void {
    clearInterval(this.unfetchedCheck);
  }

  get path(): string {
    return this.options.config.callback_path;
  }

  routes(server: FastifyInstance): void {
    registerAiBotCallback(server, {
      path: this.path,
      crypto: this.crypto,
      maxClockSkew: this.options.maxClockSkew,
      logger: this.log,
      answer: (callback) => this.answer(callback),
    });
  }

  /** Runs inside the HTTP request: the passive answer (or nothing), as soon as the message is stored. */
  private async answer(callback: AiBotCallback): Promise<object | undefined> {
    if (callback.msgtype === 'stream') return this.onRefresh(callback);
    if (callback.msgtype === 'event') return this.onEvent(callback);
    return this.onMessage(callback);
  }

  private onStreamUpdate(update: StreamUpdate): void {
    if (this.shared) {
      this.shared.apply(update);
      return;
    }
    const stream = this.streams.forMessage(update.msgid);
    if (!stream) return;
    if (update.type === 'aibot-stream') this.streams.update(stream.id, update.content);
    else this.streams.finish(stream.id, update.content ?? stream.content, update.images);
  }

  private async onRefresh(callback: AiBotCallback): Promise<object> {
    const id = callback.stream?.id ?? '';
    const stream = this.shared ? await this.shared.get(id) : this.streams.get(id);
    if (!stream) {
      this.log.info({ stream: id }, 'refresh for an unknown or expired stream; closing it');
      return finishedStreamAnswer(id, userMessages.answerExpired);
    }
    if (stream.finished && !stream.fetched) {
      // Shared: the process whose worker finished it confirms it, seeing it fetched.
      if (this.shared) await this.shared.fetched(stream);
      else {
        stream.fetched = true;
        this.options.intake.confirm(aiBotMessageId(stream.messageId));
      }
    }
    return streamAnswer(stream);
  }

  private onEvent(callback: AiBotCallback): object | undefined {
    const event = callback.event?.eventtype ?? 'unknown';
    this.log.info({ event, from: callback.from?.userid, chat: callback.chatid }, 'AI bot event');
    if (event === 'enter_chat' && this.options.welcomeMessage) return { msgtype: 'text', text: { content: this.options.welcomeMessage } };
    return undefined;
  }

  private async onMessage(callback: AiBotCallback): Promise<object | undefined> {
    const { intake, rules, config } = this.options;
    const retried = this.shared ? await this.shared.forMessage(callback.msgid) : this.streams.forMessage(callback.msgid);
    // WeCom retries a callback whose answer it did not get: answer with the same stream.
    if (retried) return config.stream ? streamAnswer(retried) : undefined;
    const message = this.toMessage(callback);
    if (!message) {
      if (await intake.seen(`aibot:${callback.msgid}`)) return undefined;
      this.log.warn({ msgtype: callback.msgtype, from: callback.from?.userid }, 'unsupported AI bot msgtype; telling the user');
      return this.notice(callback, userMessages.unsupportedKind);
    }
    const log = { id: message.id, from: message.senderId, chat: callback.chatid, group: message.groupName };
    if (!rules.wouldAnswer(withoutQuote(message))) {
      if (!(await intake.pass(message)))
        this.log.info(log, 'AI bot message not for the bot (group white list or trigger rules); no answer');
      return undefined;
    }
    // Opened before the message is stored, so a retry arriving meanwhile gets this same stream.
    const stream = this.shared
      ? await this.shared.open(message.senderId, callback.msgid, MAX_IN_FLIGHT_PER_USER)
      : this.streams.open(message.senderId, callback.msgid, MAX_IN_FLIGHT_PER_USER);
    if (!stream) {
      this.log.warn(log, `user already has ${MAX_IN_FLIGHT_PER_USER} answers in flight; told to wait`);
      return this.notice(callback, userMessages.stillAnswering);
    }
    (message.raw as AiBotMessageRaw).streamId = stream.id;
    const outcome = await intake.submit(message, { ownNotices: true });
    if (outcome === 'duplicate') {
      await this.finish(stream, '');
      return undefined;
    }
    this.log.info({ ...log, kind: message.kind, stream: stream.id }, 'AI bot message received');
    const refusal =
      outcome === 'busy' ? userMessages.busy : outcome === 'limited' ? userMessages.rateLimited(intake.rateLimitPerMinute) : undefined;
    if (refusal !== undefined) {
      await this.finish(stream, refusal);
      if (!config.stream) this.notice(callback, refusal);
    }
    return config.stream ? streamAnswer(stream) : undefined;
  }

  /** Answers WeCom did not fetch in time go out again, through response_url (the answer worker decides). */
  private redeliverUnfetched(): void {
    if (this.shared) {
      const { intake } = this.options;
      const confirm = (msgid: string) => intake.confirm(aiBotMessageId(msgid));
      void this.shared.check(Date.now() - FETCH_GRACE_MS, confirm, (msgid) => intake.redeliver(aiBotMessageId(msgid)));
      return;
    }
    for (const stream of this.streams.unfetched(Date.now() - FETCH_GRACE_MS)) {
      stream.fetched = true;
      this.options.intake.redeliver(aiBotMessageId(stream.messageId));
    }
  }

  private async finish(stream: ReplyStream, content: string): Promise<void> {
    if (this.shared) await this.shared.finish(stream, content);
    else this.streams.finish(stream.id, content);
  }

  /** Media is only ever loaded by the replier, which rebuilds the message with its own loader. */
  private toMessage(callback: AiBotCallback): NormalizedMessage | undefined {
    return toAiBotMessage(callback, this.options.groupNames, loadedByTheReplier, undefined, this.scope);
  }

  /** A short answer: a finished stream in the callback's own answer, or (without streaming) a response_url post by the replier. */
  private notice(callback: AiBotCallback, text: string): object | undefined {
    if (this.options.config.stream) return finishedStreamAnswer(randomBytes(12).toString('hex'), text);
    this.options.intake.notify(callback.from?.userid ?? '', { route: 'aibot', callback }, text);
    return undefined;
  }
}
