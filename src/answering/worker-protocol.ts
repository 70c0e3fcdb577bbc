import type { Job } from './answer-dispatch.js';

/** Main thread → answer worker. */
export type ToWorker =
  | { type: 'job'; job: Job }
  | { type: 'link'; message: unknown }
  | { type: 'ready?'; ask: number }
  | { type: 'drain'; timeoutMs: number }
  | { type: 'stop' };

/** Answer worker → main thread. */
export type FromWorker =
  | { type: 'started' }
  | { type: 'failed'; error: SerializedError }
  | { type: 'settled'; id: string; failed?: string }
  | { type: 'attempt'; id: string }
  | { type: 'log'; line: string }
  | { type: 'link'; message: unknown }
  | { type: 'ready'; ask: number; ok: boolean; reason?: string }
  | { type: 'drained'; finished: boolean }
  | { type: 'stopped' };

/** An error as it crosses threads; a ConfigError keeps its key so start-up can print its one line. */
export interface SerializedError {
  message: string;
  stack?: string;
  config?: { key: string; expected: string; found: string };
}

/**
 * Messages posted in one event-loop turn travel as one array (one structured clone and one wake-up
 * of the other thread per turn, not per message), in the order they were posted.
 */
export class Outbox<T> {
  private items: T[] = [];

  constructor(private readonly send: (items: T[]) => void) {}

  post(item: T): void {
    if (this.items.length === 0) setImmediate(() => this.flush());
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
