import os from 'node:os';

/**
 * How much lower than the main thread (the acks) the answer worker runs, in nice steps (Linux
 * only: elsewhere nice is per process). When the CPU is short the acks win, as an unanswered
 * callback comes back in 5 s as more load; not by more, or a woken answer worker waits out other
 * threads' time slices (docs/performance.md, Thread priorities).
 */
export const BACKGROUND_NICE_STEPS = 5;

/**
 * Lowers the calling thread (the answer worker, as it starts) to BACKGROUND_NICE_STEPS below the
 * main thread: relative to the main thread, so a worker restarted after a crash lands at the same.
 */
export function runThisThreadInBackground(): void {
  if (process.platform !== 'linux') return;
  setNice(niceBelowMain(BACKGROUND_NICE_STEPS));
}

/** Lowers the calling thread to `target`; never raises it. */
function setNice(target: number): void {
  try {
    if (os.getPriority(0) < target) os.setPriority(0, target);
  } catch {
    // Not allowed: it keeps its priority.
  }
}

/** `steps` below the main thread, whose thread id is the process id (19 at most). */
function niceBelowMain(steps: number): number {
  return Math.min(19, os.getPriority(process.pid) + steps);
}
