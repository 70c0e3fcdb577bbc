import { detached } from './detached.js';
import { boundHeapGrowth, holdMainYoungGeneration, keepYoungGenerationHeld } from './memory-policy.js';
import { runThisThreadInBackground } from './thread-priority.js';

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
  workerOnline(): void;
  /** Inside the answer worker, as it starts. */
  inWorker(): void;
  /** A string kept long from a large parsed payload, copied so it does not hold the payload. */
  keep(text: string): string;
}

export function runtimeTuning(enabled: boolean): RuntimeTuning {
  if (!enabled) return OFF;
  return {
    atStart: boundHeapGrowth,
    holdMainHeap: holdMainYoungGeneration,
    workerOnline() {
      // The worker's isolate, once created, has let the main thread's young generation grow again.
      keepYoungGenerationHeld();
    },
    inWorker: runThisThreadInBackground,
    keep: detached,
  };
}

const OFF: RuntimeTuning = {
  atStart: () => undefined,
  holdMainHeap: () => () => undefined,
  workerOnline: () => undefined,
  inWorker: () => undefined,
  keep: (text) => text,
};
