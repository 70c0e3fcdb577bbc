import type { AnswerDispatch } from './answering/answer-dispatch.js';
import { wallClockMs } from './answering/answer-timing.js';
import type { MessageRules } from './channel.js';
import type { Logger } from './logger.js';
import type { NormalizedMessage } from './message.js';
import { RateLimiter } from './rate-limiter.js';
import type { Inbox, InboxEntry } from './store/inbox.js';

export type IntakeResult = 'accepted' | 'duplicate' | 'busy' | 'limited';

export interface MessageIntakeOptions {
  /** The channel's name, as its messages are stored under. */
  channel: string;
  rules: MessageRules;
  logger: Logger;
  inbox: Inbox;
  answers: AnswerDispatch;
  /** Messages accepted but not answered yet, at most (running ones included: `concurrency` more). */
  maxOutstanding: number;
  /** Messages per user per minute; 0: no limit. */
  rateLimitPerMinute: number;
  /** Tells the user their message was dropped because the queue is full. */
  onBusy: (message: NormalizedMessage) => void;
  /** Tells the user (once per minute) that they send too fast. */
  onRateLimited: (message: NormalizedMessage) => void;
}

/**
 * Where a channel hands over a received message, inside the HTTP request: rate limit, dedupe and
 * record it in the inbox (before the ack, so an acked message survives a crash), then give it to
 * the answer worker. What the worker settles leaves the inbox; the rest is replayed on the next start.
 */
export class MessageIntake {
  private readonly limiter: RateLimiter;
  private readonly log: Logger;

  constructor(private readonly options: MessageIntakeOptions) {
    this.log = options.logger;
    this.limiter = new RateLimiter(options.rateLimitPerMinute);
  }

  /** True if this id was already taken (a platform retry); records it otherwise (for messages not answered). */
  async seen(id: string): Promise<boolean> {
    return !(await this.options.inbox.addSettled(id, this.options.channel, Date.now()));
  }

  /**
   * Records a message and gives it to the answer worker. Resolves once the message is stored for
   * good: the channel acks after it.
   */
  async submit(message: NormalizedMessage): Promise<IntakeResult> {
    const receivedAt = wallClockMs();
    const { inbox, answers, rules } = this.options;
    const rate = message.kind === 'event' ? 'ok' : this.limiter.take(message.senderId);
    if (rate !== 'ok') {
      if (await this.seen(message.id)) return 'duplicate';
      this.log.warn({ id: message.id, from: message.senderId, per_minute: this.options.rateLimitPerMinute }, 'rate limit: message refused');
      if (rate === 'limited-first') this.options.onRateLimited(message);
      return 'limited';
    }
    // A retry of a message already taken, or a message refused, does not count against its sender.
    const giveBack = () => message.kind !== 'event' && this.limiter.giveBack(message.senderId);
    const sessionKey = rules.sessionKey(message);
    const rawJson = JSON.stringify(message.raw);
    if (answers.outstanding >= this.options.maxOutstanding) {
      giveBack();
      if (await this.seen(message.id)) return 'duplicate';
      this.log.warn({ id: message.id, from: message.senderId, max_queue: this.options.maxOutstanding }, 'queue full: message dropped, user told to retry');
      this.options.onBusy(message);
      return 'busy';
    }
    if (!(await inbox.add({ id: message.id, channel: this.options.channel, sessionKey, rawJson, receivedAt: Math.floor(receivedAt) }))) {
      giveBack();
      this.log.debug({ id: message.id }, 'duplicate callback (platform retry) ignored');
      return 'duplicate';
    }
    answers.answer({ id: message.id, sessionKey, rawJson, receivedAt, attempts: 0, replayed: false });
    return 'accepted';
  }

  /** See AnswerDispatch.confirm: the receiving half saw the answer reach the user. */
  confirm(id: string): void {
    this.options.answers.confirm(id);
  }

  /** See AnswerDispatch.redeliver. */
  redeliver(id: string): void {
    this.options.answers.redeliver(id);
  }

  /** A short text to the sender of `raw` in `sessionKey`'s order (a welcome, an "unsupported" note). */
  notify(sessionKey: string, raw: unknown, text: string): void {
    this.options.answers.notify({ sessionKey, raw, text });
  }

  /**
   * Gives the answer worker the messages left pending by the last run (crash or shutdown), oldest
   * first, so each conversation keeps its order. Call before new messages arrive.
   */
  replay(): InboxEntry[] {
    const entries = this.options.inbox.pending(this.options.channel);
    for (const entry of entries) {
      const answer = entry.outcomeJson === undefined ? {} : { outcomeJson: entry.outcomeJson, partsSent: entry.partsSent };
      this.options.answers.answer({ id: entry.id, sessionKey: entry.sessionKey, rawJson: entry.rawJson, receivedAt: entry.receivedAt, attempts: entry.attempts, replayed: true, ...answer });
    }
    if (entries.length > 0) this.log.info({ count: entries.length, answered: entries.filter((entry) => entry.outcomeJson !== undefined).length }, 'replaying messages left pending by the last run');
    return entries;
  }

  get rateLimitPerMinute(): number {
    return this.options.rateLimitPerMinute;
  }

  /** Shutdown: see AnswerDispatch.drain. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.options.answers.drain(timeoutMs);
  }
}
