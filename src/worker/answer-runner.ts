import { setTimeout as sleep } from 'node:timers/promises';
import PQueue from 'p-queue';
import type { DeliveredParts, Replier } from '../channel.js';
import type { Logger } from '../logger.js';
import type { NormalizedMessage } from '../message.js';
import { type Metrics, NO_METRICS } from '../metrics/metrics.js';
import type { AnswerTiming, MessageHandler, Outcome } from '../pipeline/message-handler.js';
import { userMessages } from '../pipeline/user-messages.js';
import { isTransient } from '../transient.js';
import type { AnswerJob, NoticeJob } from './answer-dispatch.js';
import { BurstCollector } from './burst-collector.js';
import { decodeOutcome, encodeOutcome, wallClockMs } from './worker-protocol.js';

export interface RetryPolicy {
  /** Tries per message before it is given up (and the user gets one apology). */
  maxAttempts: number;
  /** Delay before the second try; doubles each time, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** What the runner tells the inbox's owner (the main thread). */
export interface Settlement {
  /** `confirmedBy: 'receiver'`: answered, and the receiving half confirms the delivery later. */
  settled(id: string, failedReason?: string, confirmedBy?: 'receiver'): void;
  attempted(id: string): void;
  /** Keeps the answer with the message; resolves once it is stored for good (rejects if it could not be). */
  store(id: string, outcomeJson: string): Promise<void>;
  /** How many parts of the answer went out. */
  progress(id: string, partsSent: number): void;
}

export interface AnswerRunnerOptions {
  handler: MessageHandler;
  replier: Replier;
  concurrency: number;
  retry: RetryPolicy;
  settlement: Settlement;
  logger: Logger;
  /** Answers by outcome, and where first-try answers' time went. */
  metrics?: Metrics;
  /** store "redis": the conversation's messages stored behind one, not given to this worker (BurstCollector). */
  waitingBehind?: (sessionKey: string, id: string) => Promise<Array<Omit<AnswerJob, 'kind'>>>;
}

/**
 * The answer worker's queue: one conversation at a time in arrival order, different ones in
 * parallel (`concurrency`). A failure that may pass is retried with backoff; a message is settled
 * only answered or given up (with one apology to the user).
 */
export class AnswerRunner {
  private readonly queue: KeyedWorkQueue;
  /** Only for a channel that merges bursts (BurstMerging): other messages never wait for one. */
  private readonly bursts: BurstCollector | undefined;
  private readonly log: Logger;
  /** Set on shutdown: queued messages stay pending, retry waits end, running ones may finish. */
  private draining = false;
  private readonly drainSignal = new AbortController();
  private readonly metrics: Metrics;

  constructor(private readonly options: AnswerRunnerOptions) {
    this.log = options.logger.child({ module: 'answers' });
    this.metrics = options.metrics ?? NO_METRICS;
    this.queue = new KeyedWorkQueue({
      concurrency: options.concurrency,
      // The main thread bounds what it hands over (max_queue); nothing is refused here.
      onError: (error, key) => this.log.error({ session: key, err: (error as Error)?.stack ?? String(error) }, 'message handling failed'),
    });
    const merging = options.replier.bursts;
    this.bursts = merging && new BurstCollector(merging, (job) => this.reviveQuietly(job), options.waitingBehind);
  }

  /** Queued in its stored form: a backlog of thousands costs their JSON text, not rebuilt messages. */
  answer(job: AnswerJob): void {
    this.bursts?.queue(job);
    this.queue.enqueue(job.sessionKey, async () => {
      // Covered by the answer to an earlier message of its burst, and settled with it.
      if (this.bursts?.starts(job)) return;
      const message = this.revive(job);
      if (message) await this.process(message, job);
    });
  }

  notify(job: NoticeJob): void {
    this.queue.enqueue(job.sessionKey, () =>
      this.options.replier
        .notify(job.raw, job.text)
        .catch((error: Error) => this.log.warn({ err: error.message }, 'notice could not be sent')),
    );
  }

  /** Resolves true when everything running finished within `timeoutMs`; what did not start stays pending. */
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

  private revive(job: AnswerJob): NormalizedMessage | undefined {
    try {
      const message = this.options.replier.revive(JSON.parse(job.rawJson));
      if (message) return message;
    } catch (error) {
      this.log.warn({ id: job.id, err: (error as Error).message }, 'stored message cannot be rebuilt');
    }
    this.log.warn({ id: job.id }, 'message cannot be rebuilt from its stored form; dropped');
    this.options.settlement.settled(job.id, 'cannot be rebuilt');
    this.metrics.count('weworktop_answers_total', { outcome: 'given_up', reason: 'unreadable' });
    return undefined;
  }

  /** A queued message looked at as a burst's possible next one: one that cannot be rebuilt is left to its own turn. */
  private reviveQuietly(job: Pick<AnswerJob, 'rawJson'>): NormalizedMessage | undefined {
    try {
      return this.options.replier.revive(JSON.parse(job.rawJson));
    } catch {
      return undefined;
    }
  }

  /**
   * One line per answer with where its time went: total (callback in → reply handed to the channel),
   * waited (LLM, speech, images, media), and the rest, the framework's own (queueing included).
   * The metrics take first tries only: a retry's total holds its backoff.
   */
  private recordAnswered(job: AnswerJob, outcome: Outcome, timing: AnswerTimer, retries: number, covers: readonly string[]): void {
    this.metrics.count(
      'weworktop_answers_total',
      outcome.replies.length > 0 ? { outcome: 'answered', reason: '' } : { outcome: 'ignored', reason: outcome.ignored ?? 'no_reply' },
    );
    if (timing.repliedAt === undefined) return;
    const total = timing.repliedAt - job.receivedAt;
    if (this.metrics.enabled && !job.replayed && retries === 0) {
      this.metrics.observe('weworktop_answer_seconds', total / 1000);
      this.metrics.observe('weworktop_answer_llm_wait_seconds', timing.waitedMs / 1000);
      this.metrics.observe('weworktop_answer_framework_seconds', (total - timing.waitedMs) / 1000);
    }
    if (!this.log.isLevelEnabled('info')) return;
    const fields = {
      id: job.id,
      total_ms: round(total),
      waited_ms: round(timing.waitedMs),
      ...(job.replayed || retries > 0 ? { replayed: job.replayed, retries } : { framework_ms: round(total - timing.waitedMs) }),
      ...(covers.length > 0 ? { burst: covers.length + 1 } : {}),
    };
    this.log.info(fields, 'answered');
  }

  /**
   * Makes the answer once (after the replier says replies could go out), stores it with the
   * message, then delivers it part by part; a failure that may pass is retried with backoff, from
   * where it failed: the LLM is not asked again for a message whose answer is stored.
   */
  private async process(received: NormalizedMessage, job: AnswerJob): Promise<void> {
    const { handler, replier, settlement } = this.options;
    const retry = replier.retriesFailures === false ? { ...this.options.retry, maxAttempts: 1 } : this.options.retry;
    let attempts = job.attempts;
    let outcome: Outcome | undefined = job.outcomeJson === undefined ? undefined : decodeOutcome(job.outcomeJson);
    let stored = outcome !== undefined;
    let partsSent = job.partsSent ?? 0;
    const stream = replier.begin?.(received, job) ?? {};
    if (outcome?.covers) this.bursts?.adopt(job.sessionKey, outcome.covers);
    const { message, covers } =
      outcome || !this.bursts
        ? { message: received, covers: outcome?.covers ?? [] }
        : await this.bursts.gather(received, job, this.drainSignal.signal);
    // The burst's messages are settled with its first one, the same way, and before it: with store
    // "redis" the first one's settlement hands the conversation on to the message after the burst.
    const settle = (failed?: string, confirmedBy?: 'receiver') => {
      for (const id of covers) settlement.settled(id, failed);
      settlement.settled(message.id, failed, confirmedBy);
    };
    for (;;) {
      if (this.draining) return;
      const finalAttempt = attempts + 1 >= retry.maxAttempts;
      const timing = new AnswerTimer();
      try {
        if (!outcome) {
          if ((await replier.prepare?.(message)) === 'skip') {
            settle();
            return;
          }
          outcome = await handler.answer(message, replier, { ...stream, finalAttempt, timing });
          if (covers.length > 0) outcome = { ...outcome, covers };
        }
        if (!stored) {
          await settlement.store(message.id, encodeOutcome(outcome));
          stored = true;
        }
        if (outcome.replies.length > 0) timing.replied();
        const parts = new PartCursor(partsSent, (sent) => {
          partsSent = sent;
          settlement.progress(message.id, sent);
        });
        for (const reply of outcome.replies) await replier.send(reply, { message, sessionId: outcome.sessionId, parts });
        const delivery = replier.end?.(message, 'answered') ?? 'delivered';
        settle(undefined, delivery === 'receiver' ? 'receiver' : undefined);
        this.recordAnswered(job, outcome, timing, attempts, covers);
        return;
      } catch (error) {
        if (this.draining) return;
        attempts += 1;
        settlement.attempted(message.id);
        const reason = (error as Error)?.message ?? String(error);
        if (!isTransient(error) || attempts >= retry.maxAttempts) {
          settle(reason);
          this.metrics.count('weworktop_answers_total', {
            outcome: 'given_up',
            reason: isTransient(error) ? 'retries_exhausted' : 'permanent',
          });
          this.log.error({ id: message.id, from: message.senderId, attempts, err: reason }, 'message given up; telling the user');
          await replier
            .send({ type: 'error', text: userMessages.gaveUp }, { message, sessionId: message.senderId })
            .catch((notice: Error) => this.log.warn({ err: notice.message }, 'apology could not be sent'));
          replier.end?.(message, 'given-up');
          return;
        }
        const delay = Math.min(retry.baseDelayMs * 2 ** (attempts - 1), retry.maxDelayMs);
        this.log.warn(
          {
            id: message.id,
            attempt: attempts,
            max_attempts: retry.maxAttempts,
            retry_in_ms: delay,
            err: reason,
            left: outcome ? 'delivery' : 'answer',
          },
          'message handling failed; will retry',
        );
        await sleep(delay, undefined, { signal: this.drainSignal.signal }).catch(() => undefined);
      }
    }
  }
}

/** Counts an answer's parts as a channel sends them, skipping those sent before. */
class PartCursor implements DeliveredParts {
  private next = 0;

  constructor(
    private done: number,
    private readonly onSent: (done: number) => void,
  ) {}

  alreadySent(): boolean {
    return this.next++ < this.done;
  }

  sent(): void {
    this.done = this.next;
    this.onSent(this.done);
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export interface KeyedWorkQueueOptions {
  /** Tasks running at once, across keys. */
  concurrency: number;
  onError: (error: unknown, key: string) => void;
}

/**
 * A bounded worker pool where tasks of one key (a conversation) run one at a time in arrival
 * order, and different keys run in parallel. A key's next task joins the back of the shared
 * queue only when its previous one finished, so one chatty user never holds idle worker slots.
 */
export class KeyedWorkQueue {
  private readonly pool: PQueue;
  private readonly waiting = new Map<string, Array<() => Promise<void>>>();
  private readonly active = new Set<string>();
  private waitingCount = 0;

  constructor(private readonly options: KeyedWorkQueueOptions) {
    this.pool = new PQueue({ concurrency: options.concurrency });
  }

  /** Queues a task behind its key's earlier ones (the bound on what waits is the worker host's). */
  enqueue(key: string, task: () => Promise<void>): void {
    this.waitingCount += 1;
    const backlog = this.waiting.get(key);
    if (backlog) backlog.push(task);
    else this.waiting.set(key, [task]);
    if (!this.active.has(key)) this.schedule(key);
  }

  /** Resolves when every queued task has run. */
  async onIdle(): Promise<void> {
    while (this.waitingCount > 0 || this.pool.pending > 0 || this.pool.size > 0) await this.pool.onIdle();
  }

  private schedule(key: string): void {
    const backlog = this.waiting.get(key);
    const task = backlog?.shift();
    if (!task) {
      this.waiting.delete(key);
      this.active.delete(key);
      return;
    }
    this.active.add(key);
    void this.pool.add(async () => {
      this.waitingCount -= 1;
      try {
        await task();
      } catch (error) {
        this.options.onError(error, key);
      }
      this.schedule(key);
    });
  }
}

/**
 * Where one answer's time went, filled in by the pipeline: how long it waited on services outside
 * the framework (the LLM, speech, images, media downloads), and when the reply was handed to the
 * channel. What is left of the time since the callback arrived is the framework's own.
 */
class AnswerTimer implements AnswerTiming {
  waitedMs = 0;
  repliedAt: number | undefined;

  async wait<T>(call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      this.waitedMs += performance.now() - started;
    }
  }

  /** The first reply's hand-over to the channel (later parts of a long answer do not move it). */
  replied(): void {
    this.repliedAt ??= wallClockMs();
  }
}
