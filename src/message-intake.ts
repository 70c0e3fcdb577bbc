import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, MessageHandler } from './channel.js';
import { KeyedWorkQueue } from './keyed-work-queue.js';
import type { Logger } from './logger.js';
import type { NormalizedMessage } from './message.js';
import { RateLimiter } from './rate-limiter.js';
import type { Inbox, InboxEntry } from './store/inbox.js';
import { isTransient } from './transient.js';

export type IntakeResult = 'accepted' | 'duplicate' | 'busy' | 'limited';

/** One try at answering a message; `final` tells the pipeline to answer even a transient failure. */
export type MessageWork = (attempt: { final: boolean }) => Promise<void>;

export interface RetryPolicy {
  /** Tries per message before it is given up (and the user gets one apology). */
  maxAttempts: number;
  /** Delay before the second try; doubles each time, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface MessageIntakeOptions {
  channel: Channel;
  handler: MessageHandler;
  logger: Logger;
  inbox: Inbox;
  concurrency: number;
  maxQueue: number;
  retry: RetryPolicy;
  /** Messages per user per minute; 0: no limit. */
  rateLimitPerMinute: number;
  /** Tells the user their message was dropped because the queue is full. */
  onBusy: (message: NormalizedMessage) => Promise<void>;
  /** Tells the user (once per minute) that they send too fast. */
  onRateLimited: (message: NormalizedMessage) => Promise<void>;
  /** Tells the user their message could not be answered after every attempt. */
  onGiveUp: (message: NormalizedMessage) => Promise<void>;
}

/**
 * Where a channel hands over a received message, inside the HTTP request: dedupe and record it in
 * the inbox (before the ack, so an acked message survives a crash), then the worker queue (one
 * conversation at a time, in order). Failures that may pass are retried with backoff; a message
 * leaves the inbox only answered or given up.
 */
export class MessageIntake {
  private readonly queue: KeyedWorkQueue;
  private readonly limiter: RateLimiter;
  private readonly log: Logger;
  /** Set on shutdown: queued messages stay pending, retry waits end, running ones may finish. */
  private draining = false;
  private readonly drainSignal = new AbortController();

  constructor(private readonly options: MessageIntakeOptions) {
    this.log = options.logger;
    this.limiter = new RateLimiter(options.rateLimitPerMinute);
    this.queue = new KeyedWorkQueue({
      concurrency: options.concurrency,
      maxWaiting: options.maxQueue,
      onError: (error, key) => this.log.error({ session: key, err: (error as Error)?.stack ?? String(error) }, 'message handling failed'),
    });
  }

  /** True if this id was already taken (a platform retry); records it otherwise (for messages not queued). */
  async seen(id: string): Promise<boolean> {
    return !(await this.options.inbox.addSettled(id, this.options.channel.name, Date.now()));
  }

  /**
   * Records and queues a message for the pipeline; `work` replaces the default pipeline call.
   * Resolves once the message is stored for good (the channel acks after it).
   */
  async submit(message: NormalizedMessage, work?: MessageWork): Promise<IntakeResult> {
    const { inbox, channel, handler } = this.options;
    const rate = message.kind === 'event' ? 'ok' : this.limiter.take(message.senderId);
    if (rate !== 'ok') {
      if (await this.seen(message.id)) return 'duplicate';
      this.log.warn({ id: message.id, from: message.senderId, per_minute: this.options.rateLimitPerMinute }, 'rate limit: message refused');
      if (rate === 'limited-first') this.notify(this.options.onRateLimited, message, 'rate limit notice');
      return 'limited';
    }
    const sessionKey = handler.sessionKey(message);
    if (!(await inbox.add({ id: message.id, channel: channel.name, sessionKey, raw: message.raw, receivedAt: Date.now() }))) {
      this.log.debug({ id: message.id }, 'duplicate callback (platform retry) ignored');
      return 'duplicate';
    }
    if (this.queue.enqueue(sessionKey, () => this.process(message, work, 0))) return 'accepted';
    inbox.markFailed(message.id, 'queue full');
    this.log.warn({ id: message.id, from: message.senderId, max_queue: this.options.maxQueue }, 'queue full: message dropped, user told to retry');
    this.notify(this.options.onBusy, message, 'busy notice');
    return 'busy';
  }

  /**
   * Queues the messages left pending by the last run (crash or shutdown), oldest first, so each
   * conversation keeps its order. `revive` rebuilds a message from its stored payload.
   */
  replay(revive: (entry: InboxEntry) => NormalizedMessage | undefined): number {
    const entries = this.options.inbox.pending(this.options.channel.name);
    for (const entry of entries) {
      const message = revive(entry);
      if (!message) {
        this.log.warn({ id: entry.id }, 'pending message cannot be rebuilt; dropped');
        this.options.inbox.markFailed(entry.id, 'cannot be rebuilt');
        continue;
      }
      this.queue.enqueue(entry.sessionKey, () => this.process(message, undefined, entry.attempts), { force: true });
    }
    if (entries.length > 0) this.log.info({ count: entries.length }, 'replaying messages left pending by the last run');
    return entries.length;
  }

  /** Queues channel work that is not a pipeline message (e.g. a welcome text), in `key`'s order. */
  run(key: string, task: () => Promise<void>): boolean {
    return this.queue.enqueue(key, task);
  }

  get rateLimitPerMinute(): number {
    return this.options.rateLimitPerMinute;
  }

  get queued(): number {
    return this.queue.size;
  }

  /**
   * Shutdown: messages not started stay pending for the next start, retry waits end now, running
   * ones get up to `timeoutMs` to finish. Resolves true when everything running finished.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    this.drainSignal.abort();
    const timeout = new AbortController();
    const finished = await Promise.race([
      this.queue.onIdle().then(() => true),
      sleep(timeoutMs, false, { signal: timeout.signal }).catch(() => false),
    ]);
    timeout.abort();
    return finished;
  }

  private async process(message: NormalizedMessage, work: MessageWork | undefined, attemptsSoFar: number): Promise<void> {
    const { inbox, retry, handler, channel } = this.options;
    const attemptOnce: MessageWork = work ?? (({ final }) => handler.handle(message, channel, { finalAttempt: final }));
    let attempts = attemptsSoFar;
    for (;;) {
      if (this.draining) return;
      try {
        await attemptOnce({ final: attempts + 1 >= retry.maxAttempts });
        inbox.markDone(message.id);
        return;
      } catch (error) {
        if (this.draining) return;
        attempts += 1;
        inbox.recordAttempt(message.id);
        const reason = (error as Error)?.message ?? String(error);
        if (!isTransient(error) || attempts >= retry.maxAttempts) {
          inbox.markFailed(message.id, reason);
          this.log.error({ id: message.id, from: message.senderId, attempts, err: (error as Error)?.stack ?? reason }, 'message given up; telling the user');
          await this.options.onGiveUp(message).catch((notice: Error) => this.log.warn({ err: notice.message }, 'apology could not be sent'));
          return;
        }
        const delay = Math.min(retry.baseDelayMs * 2 ** (attempts - 1), retry.maxDelayMs);
        this.log.warn({ id: message.id, attempt: attempts, max_attempts: retry.maxAttempts, retry_in_ms: delay, err: reason }, 'message handling failed; will retry');
        await sleep(delay, undefined, { signal: this.drainSignal.signal }).catch(() => undefined);
      }
    }
  }

  private notify(notice: (message: NormalizedMessage) => Promise<void>, message: NormalizedMessage, what: string): void {
    void notice(message).catch((error: Error) => this.log.warn({ err: error.message }, `${what} failed`));
  }
}
