import { ConfigError } from '../config/config-error.js';
import type { MetricsBatch } from '../metrics/metrics.js';
import type { Outcome } from '../pipeline/message-handler.js';
import type { PushFailure } from '../push/push-failure.js';
import type { PushMessage } from '../push/push-message.js';
import type { Reply } from '../reply.js';
import type { AnswerJob, Job } from './answer-dispatch.js';

/** Main thread → answer worker. */
export type ToWorker =
  | { type: 'job'; job: Job }
  | { type: 'link'; message: unknown }
  | { type: 'stored'; id: string; error?: string }
  | { type: 'ready?'; ask: number }
  | { type: 'drain'; timeoutMs: number }
  /** The inbox erased what a #清除记忆 asked (forget): the WALs may be emptied now. */
  | { type: 'forgotten' }
  /** A push to send through the channel's replier, from part `partsSent` on. */
  | { type: 'push'; call: number; message: PushMessage; partsSent: number }
  /** The answer to `waiting?`: the conversation's messages stored behind the one asked about. */
  | { type: 'waiting'; ask: number; jobs: Array<Omit<AnswerJob, 'kind'>> }
  | { type: 'stop' };

/** Answer worker → main thread. */
export type FromWorker =
  | { type: 'started' }
  | { type: 'failed'; error: SerializedError }
  /** `confirmedBy: 'receiver'`: answered, and the receiving half confirms the delivery later. */
  | { type: 'settled'; id: string; failed?: string; confirmedBy?: 'receiver' }
  | { type: 'attempt'; id: string }
  | { type: 'store'; id: string; outcomeJson: string }
  | { type: 'progress'; id: string; partsSent: number }
  | { type: 'log'; line: string }
  /** A conversation was cleared (#清除记忆): the inbox erases its texts too. */
  | { type: 'forget'; sessionKey: string }
  /** What the worker recorded in the last second (metrics: true). */
  | { type: 'metrics'; batch: MetricsBatch }
  | { type: 'link'; message: unknown }
  | { type: 'ready'; ask: number; ok: boolean; reason?: string }
  /** A burst is being gathered: which messages of its conversation wait outside the worker (store "redis")? */
  | { type: 'waiting?'; ask: number; sessionKey: string; id: string }
  | { type: 'drained'; finished: boolean }
  | { type: 'push-progress'; call: number; partsSent: number }
  | { type: 'pushed'; call: number; failure?: PushFailure }
  | { type: 'stopped' };

/** An error as it crosses threads; a ConfigError keeps its key so start-up can print its one line. */
export interface SerializedError {
  message: string;
  stack?: string;
  config?: { key: string; expected: string; found: string };
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof ConfigError)
    return { message: error.message, config: { key: error.key, expected: error.expected, found: error.found } };
  const plain = error instanceof Error ? error : new Error(String(error));
  return { message: plain.message, ...(plain.stack ? { stack: plain.stack } : {}) };
}

/** The error rebuilt on the other side (a worker's failed start: a ConfigError prints its one line). */
export function reviveError(error: SerializedError): Error {
  if (error.config) return new ConfigError(error.config.key, error.config.expected, error.config.found);
  const revived = new Error(error.message);
  if (error.stack) revived.stack = error.stack;
  return revived;
}

/**
 * How an Outbox batches: `turn` sends what one event-loop turn posted (setImmediate), `tick` what
 * one task and its promise continuations posted (queueMicrotask).
 */
export type OutboxBatching = 'turn' | 'tick';

/**
 * Messages posted together travel as one array (one structured clone and one wake-up of the other
 * thread per batch, not per message), in the order they were posted. Jobs go by `tick`: a group
 * commit releases its callbacks' jobs in one tick, and waiting for the next turn was a large part
 * of the framework overhead (docs/performance.md, Outbox batching). Reports go by `turn`: the
 * answers a turn finishes are many separate I/O callbacks.
 */
export class Outbox<T> {
  private items: T[] = [];
  private readonly schedule: (flush: () => void) => void;

  constructor(
    private readonly send: (items: T[]) => void,
    batching: OutboxBatching,
  ) {
    this.schedule = batching === 'tick' ? queueMicrotask : (flush) => void setImmediate(flush);
  }

  post(item: T): void {
    if (this.items.length === 0) this.schedule(() => this.flush());
    this.items.push(item);
  }

  /** Sends what is waiting now (before the thread stops). */
  flush(): void {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.send(items);
  }
}

/** Questions to the other thread, by number, waiting for its answer (or, given a timeout, for a stand-in). */
export class PendingAsks<T> {
  private next = 0;
  private readonly waiting = new Map<number, (answer: T) => void>();

  request(send: (ask: number) => void, timeout?: { ms: number; answer: T }): Promise<T> {
    const ask = this.next++;
    return new Promise<T>((resolve) => {
      this.waiting.set(ask, resolve);
      if (timeout) setTimeout(() => this.answered(ask, timeout.answer), timeout.ms).unref();
      send(ask);
    });
  }

  answered(ask: number, answer: T): void {
    this.waiting.get(ask)?.(answer);
    this.waiting.delete(ask);
  }
}

/** A high-resolution wall clock, comparable across threads: the main thread stamps, the answer worker reads. */
export const wallClockMs = (): number => performance.timeOrigin + performance.now();

type StoredReply = Exclude<Reply, { data: Buffer }> | (Omit<Extract<Reply, { data: Buffer }>, 'data'> & { data: string });

/** An outcome as JSON text, as it is stored and crosses threads; binary data in Base64 (a Buffer's own JSON is an array of numbers). */
export function encodeOutcome(outcome: Outcome): string {
  const replies: StoredReply[] = outcome.replies.map((reply) =>
    'data' in reply ? { ...reply, data: reply.data.toString('base64') } : reply,
  );
  return JSON.stringify({ sessionId: outcome.sessionId, replies, ...(outcome.covers?.length ? { covers: outcome.covers } : {}) });
}

export function decodeOutcome(json: string): Outcome {
  const stored = JSON.parse(json) as { sessionId: string; replies: StoredReply[]; covers?: string[] };
  const replies = stored.replies.map((reply) =>
    'data' in reply ? { ...reply, data: Buffer.from(reply.data, 'base64') } : reply,
  ) as Reply[];
  return { sessionId: stored.sessionId, replies, ...(stored.covers ? { covers: stored.covers } : {}) };
}
