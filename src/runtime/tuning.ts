import type { Worker } from 'node:worker_threads';
import { detached } from './detached.js';
import { boundHeapGrowth, holdMainYoungGeneration, keepYoungGenerationHeld } from './memory-policy.js';
import { AckPriority, runThisThreadInBackground } from './thread-priority.js';

/**
 * Every runtime knob in one place: V8's heap sizing and the threads' priorities, each applied at
 * one hook of the app's life. `runtime_tuning: false` turns them all off (Node's defaults); what
 * each is worth, measured, is in docs/performance.md.
 */
export interface RuntimeTuning {
  /** Before anything else, on the main thread. */
  atStart(): void;
  /** While an app runs: the main thread's young generation held small; returns the release. */
  holdMainHeap(): () => void;
  /** The answer worker is online (a new one after a crash too). */
  workerOnline(worker: Worker): void;
  /** Inside the answer worker, as it starts. */
  inWorker(): void;
  /** A string kept long from a large parsed payload, copied so it does not hold the payload. */
  keep(text: string): string;
  stop(): void;
}

export function runtimeTuning(enabled: boolean): RuntimeTuning {
  if (!enabled) return OFF;
  let priority: AckPriority | undefined;
  return {
    atStart: boundHeapGrowth,
    holdMainHeap: holdMainYoungGeneration,
    workerOnline() {
      // The worker's isolate, once created, has let the main thread's young generation grow again.
      keepYoungGenerationHeld();
      priority ??= new AckPriority();
      priority.apply();
    },
    inWorker: runThisThreadInBackground,
    keep: detached,
    stop: () => priority?.stop(),
  };
}

const OFF: RuntimeTuning = {
  atStart: () => undefined,
  holdMainHeap: () => () => undefined,
  workerOnline: () => undefined,
  inWorker: () => undefined,
  keep: (text) => text,
  stop: () => undefined,
};
