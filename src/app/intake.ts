import type { Intake, IntakeResult, MessageRules, PendingMessage } from '../channel.js';
import type { Logger } from '../logger.js';
import type { NormalizedMessage } from '../message.js';
import type { Metrics } from '../metrics/metrics.js';
import { userMessages } from '../pipeline/user-messages.js';
import type { Inbox } from '../store/inbox.js';
import { type AnswerDispatch, jobFromInbox } from '../worker/answer-dispatch.js';
import { wallClockMs } from '../worker/worker-protocol.js';

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
  /** How a user id is kept for the minute the limiter remembers it (a copy: see RuntimeTuning.keep). */
  keep?: (text: string) => string;
  /** With several processes: the exclusive name whose holder answers a message (ExclusiveHolds), if any. */
  poolOf?: (message: NormalizedMessage) => string | undefined;
  /** Shared by every instance (store "redis"); default: this process's own. */
  limiter?: RateLimit;
  /** Counts each message by its result (weworktop_messages_received_total). */
  metrics?: Metrics;
  /** The bridge (forward.url): every message taken is also stored for forwarding, in the same commit. */
  forward?: { add(message: NormalizedMessage, orderKey: string): Promise<void> };
  /** false (bot_type "none"): messages are recorded and forwarded, never answered. */
  answering?: boolean;
}

/**
 * Where a receiver hands over a received message, inside the HTTP request: rate limit, dedupe and
 * record it in the inbox (before the ack, so an acked message survives a crash), then give it to
 * the answer worker. What the worker settles leaves the inbox; the rest is replayed on the next start.
 */
export class MessageIntake implements Intake {
  private readonly limiter: RateLimit;
  private readonly log: Logger;
  /** weworktop_messages_received_total's series by result, with metrics on. */
  private readonly received: Record<IntakeResult, { inc(): void }> | undefined;

  constructor(private readonly options: MessageIntakeOptions) {
    this.log = options.logger;
    const metrics = options.metrics;
    if (metrics?.enabled) {
      const series = (result: IntakeResult) => metrics.counter('weworktop_messages_received_total', { result });
      this.received = { accepted: series('accepted'), duplicate: series('duplicate'), busy: series('busy'), limited: series('limited') };
    }
    this.limiter = options.limiter ?? new RateLimiter(options.rateLimitPerMinute, options.keep ? { keep: options.keep } : {});
  }

  async seen(id: string): Promise<boolean> {
    return !(await this.options.inbox.addSettled(id, this.options.channel, Date.now()));
  }

  submit(message: NormalizedMessage, options: { ownNotices?: boolean } = {}): Promise<IntakeResult> {
    const taken = this.take(message, options.ownNotices ?? false);
    const received = this.received;
    if (!received) return taken;
    return taken.then((result) => {
      received[result].inc();
      return result;
    });
  }

  pass(message: NormalizedMessage): Promise<boolean> {
    return this.withForward(message, this.seen(message.id));
  }

  private take(message: NormalizedMessage, ownNotices: boolean): Promise<IntakeResult> {
    return this.withForward(message, this.decide(message, ownNotices));
  }

  /**
   * With the bridge on, the message is also stored for forwarding before the platform is
   * acknowledged: started in the turn of the inbox's write, so both share its commit.
   */
  private withForward<T>(message: NormalizedMessage, taken: Promise<T>): Promise<T> {
    const forward = this.options.forward;
    if (!forward) return taken;
    return Promise.all([taken, forward.add(message, this.options.rules.sessionKey(message))]).then(([result]) => result);
  }

  private async decide(message: NormalizedMessage, ownNotices: boolean): Promise<IntakeResult> {
    if (this.options.answering === false) return (await this.seen(message.id)) ? 'duplicate' : 'accepted';
    const receivedAt = wallClockMs();
    const { inbox, answers, rules } = this.options;
    const rate = message.kind === 'event' ? 'ok' : await this.limiter.take(message.senderId);
    if (rate !== 'ok') {
      if (await this.seen(message.id)) return 'duplicate';
      this.log.warn({ id: message.id, from: message.senderId, per_minute: this.options.rateLimitPerMinute }, 'rate limit: message refused');
      if (rate === 'limited-first' && !ownNotices) this.notice(message, userMessages.rateLimited(this.options.rateLimitPerMinute));
      return 'limited';
    }
    // A retry of a message already taken, or a message refused, does not count against its sender.
    const giveBack = () => message.kind !== 'event' && this.limiter.giveBack(message.senderId);
    const sessionKey = rules.sessionKey(message);
    const rawJson = JSON.stringify(message.raw);
    if (answers.outstanding >= this.options.maxOutstanding) {
      giveBack();
      if (await this.seen(message.id)) return 'duplicate';
      this.log.warn(
        { id: message.id, from: message.senderId, max_queue: this.options.maxOutstanding },
        'queue full: message dropped, user told to retry',
      );
      if (!ownNotices) this.notice(message, userMessages.busy);
      return 'busy';
    }
    const pool = this.options.poolOf?.(message);
    const entry = { id: message.id, channel: this.options.channel, sessionKey, rawJson, receivedAt: Math.floor(receivedAt) };
    if (!(await inbox.add(pool ? { ...entry, pool } : entry))) {
      giveBack();
      this.log.debug({ id: message.id }, 'duplicate callback (platform retry) ignored');
      return 'duplicate';
    }
    answers.answer({ id: message.id, sessionKey, rawJson, receivedAt, attempts: 0, replayed: false });
    return 'accepted';
  }

  notify(sessionKey: string, raw: unknown, text: string): void {
    this.options.answers.notify({ sessionKey, raw, text });
  }

  confirm(id: string): void {
    this.options.answers.confirm(id);
  }

  redeliver(id: string): void {
    this.options.answers.redeliver(id);
  }

  get rateLimitPerMinute(): number {
    return this.options.rateLimitPerMinute;
  }

  whenIdle(): Promise<void> {
    return this.options.answers.whenIdle();
  }

  /**
   * Gives the answer worker the messages left pending by the last run (crash or shutdown), oldest
   * first, so each conversation keeps its order. Call before new messages arrive.
   */
  async replay(): Promise<PendingMessage[]> {
    const entries = await this.options.inbox.pending(this.options.channel);
    for (const entry of entries) this.options.answers.answer(jobFromInbox(entry, true));
    if (entries.length > 0)
      this.log.info(
        { count: entries.length, answered: entries.filter((entry) => entry.outcomeJson !== undefined).length },
        'replaying messages left pending by the last run',
      );
    return entries.map((entry) => ({ id: entry.id, raw: JSON.parse(entry.rawJson) as unknown, receivedAt: entry.receivedAt }));
  }

  private notice(message: NormalizedMessage, text: string): void {
    this.notify(this.options.rules.sessionKey(message), message.raw, text);
  }
}

export type RateDecision = 'ok' | 'limited' | 'limited-first';

/** rate_limit_per_minute: this process's (RateLimiter) or shared by every instance (store "redis"). */
export interface RateLimit {
  take(key: string): RateDecision | Promise<RateDecision>;
  /** Returns the slot the last `take` of `key` used: that message was a platform retry, or refused. */
  giveBack(key: string): void;
}

/** A user with more than one message in the window: their times, and whether they were told. */
interface Hits {
  times: number[];
  told: boolean;
}

/**
 * A sliding one-minute window per user (rate_limit_per_minute). `limited-first` marks the first
 * refusal in a window, so the user is told once instead of once per message. Bounded: users idle
 * for a window are forgotten on the next sweep.
 */
export class RateLimiter implements RateLimit {
  /**
   * Most users send one message a minute: for them only its time is kept, not an object and an
   * array, so a burst of new users leaves less in the old generation (docs/performance.md).
   */
  private readonly hits = new Map<string, number | Hits>();
  private lastSweep = 0;

  private readonly now: () => number;
  private readonly windowMs: number;
  /** How a new user's id is kept (RuntimeTuning.keep: a user id cut from a callback's XML would keep all of that XML alive). */
  private readonly keep: (key: string) => string;

  constructor(
    private readonly perMinute: number,
    options: { now?: () => number; windowMs?: number; keep?: (key: string) => string } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.windowMs = options.windowMs ?? 60_000;
    this.keep = options.keep ?? ((key) => key);
  }

  take(key: string): RateDecision {
    if (this.perMinute <= 0) return 'ok';
    const now = this.now();
    this.sweep(now);
    const cutoff = now - this.windowMs;
    const entry = this.hits.get(key);
    if (entry === undefined || (typeof entry === 'number' && entry <= cutoff)) {
      this.hits.set(entry === undefined ? this.keep(key) : key, now);
      return 'ok';
    }
    const hits = typeof entry === 'number' ? this.upgrade(key, entry) : entry;
    while (hits.times.length > 0 && hits.times[0]! <= cutoff) hits.times.shift();
    if (hits.times.length === 0) hits.told = false;
    if (hits.times.length < this.perMinute) {
      hits.times.push(now);
      return 'ok';
    }
    if (hits.told) return 'limited';
    hits.told = true;
    return 'limited-first';
  }

  /** Returns the slot the last `take` of `key` used: that message was a platform retry, or refused. */
  giveBack(key: string): void {
    const entry = this.hits.get(key);
    if (typeof entry === 'number') this.hits.delete(key);
    else entry?.times.pop();
  }

  private upgrade(key: string, time: number): Hits {
    const hits = { times: [time], told: false };
    this.hits.set(key, hits);
    return hits;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const [key, entry] of this.hits) {
      const last = typeof entry === 'number' ? entry : (entry.times.at(-1) ?? 0);
      if (last <= now - this.windowMs) this.hits.delete(key);
    }
  }
}
