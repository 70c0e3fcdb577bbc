import { readdirSync } from 'node:fs';
import os from 'node:os';

/**
 * How much lower than the main thread (the acks) everything else runs, in nice steps (Linux, where
 * each thread has its own nice value; elsewhere it would be the whole process's, so nothing is
 * changed). When the CPU is short the acks win: WeCom retries a callback not answered within 5 s,
 * and the retry is more load, while an answer may take a little longer. Not by more: a woken
 * answer worker would wait out other threads' time slices (bench/, pipeline alone: framework
 * overhead p99 at light load 3.8-7.7 ms, median 4.9, in five runs at 5; 5.2-8.4, median 7.5, in
 * four at 10; 3.7 and 3.8 at 0. Acks while answering at full speed: 51%, 50% and 40% of bare
 * fastify at 5, 10 and 0).
 */
export const BACKGROUND_NICE_STEPS = 5;

/**
 * Lowers the calling thread (the answer worker, as it starts) to BACKGROUND_NICE_STEPS below the
 * main thread. Relative to the main thread, not to itself: the
 * main thread may have lowered it already (runHelperThreadsInBackground runs once it is online).
 */
export function runThisThreadInBackground(): void {
  if (process.platform !== 'linux') return;
  lower(0, backgroundNice());
}

/**
 * Lowers every other thread of the process by BACKGROUND_NICE_STEPS below the main thread, from
 * the main thread once the answer worker runs. V8's helper threads do the garbage collection (and
 * compiling) of both threads' heaps, and ran at the main thread's priority: with the LLM
 * answering at full speed, the answer worker's garbage took the CPU from the acks through them.
 * The main thread waited for a CPU 15% of the time; with the helpers lowered, about 10%.
 */
export function runHelperThreadsInBackground(): void {
  if (process.platform !== 'linux') return;
  let threads: string[];
  try {
    threads = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  const target = backgroundNice();
  for (const thread of threads) if (Number(thread) !== process.pid) lower(Number(thread), target);
}

/** BACKGROUND_NICE_STEPS below the main thread, whose thread id is the process id (19 at most). */
function backgroundNice(): number {
  return Math.min(19, os.getPriority(process.pid) + BACKGROUND_NICE_STEPS);
}

/** To `target` (`thread` 0: the calling one); never raises a priority. */
function lower(thread: number, target: number): void {
  try {
    if (os.getPriority(thread) < target) os.setPriority(thread, target);
  } catch {
    // Not allowed here, or the thread has ended: it keeps its priority.
  }
}
