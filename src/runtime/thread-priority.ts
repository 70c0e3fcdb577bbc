import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';

/**
 * How much lower than the main thread (the acks) everything else runs, in nice steps (Linux only:
 * elsewhere nice is per process). When the CPU is short the acks win, as an unanswered callback
 * comes back in 5 s as more load; not by more, or a woken answer worker waits out other threads'
 * time slices (docs/performance.md, Thread priorities).
 */
export const BACKGROUND_NICE_STEPS = 5;

/**
 * How much lower they run while the main thread is saturated, if the process may raise them back
 * afterwards (see AckPriority): more acks, answers as fast (docs/performance.md, Thread priorities).
 */
export const BUSY_NICE_STEPS = 15;

/** The main thread counts as saturated from this share of a sample spent running, and calm again below the second. */
const BUSY_UTILIZATION = 0.9;
const CALM_UTILIZATION = 0.6;
const SAMPLE_MS = 250;

/**
 * Lowers the calling thread (the answer worker, as it starts) to BACKGROUND_NICE_STEPS below the
 * main thread. Relative to the main thread, not to itself: the main thread may have lowered it
 * already (AckPriority sets every thread once it is online).
 */
export function runThisThreadInBackground(): void {
  if (process.platform !== 'linux') return;
  setNice(0, niceBelowMain(BACKGROUND_NICE_STEPS), { raise: false });
}

/**
 * Every thread but the main one, from the main thread: the answer worker, and V8's helper threads,
 * which do the garbage collection (and compiling) of both threads' heaps and ran at the main
 * thread's priority; with the LLM answering at full speed, the answer worker's garbage took the
 * CPU from the acks through them. They run BACKGROUND_NICE_STEPS below it, and BUSY_NICE_STEPS below
 * while its event loop is saturated (a burst of callbacks): then every ack it delays is a retry in
 * 5 s, and the answers wait for the inbox anyway. Going back up needs the right to raise a
 * priority (root with CAP_SYS_NICE, or an RLIMIT_NICE such as systemd's LimitNICE); without it
 * they stay at BACKGROUND_NICE_STEPS, for a burst must not slow the answers at light load for good.
 */
export class AckPriority {
  private steps = BACKGROUND_NICE_STEPS;
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(sampleMs = SAMPLE_MS) {
    if (process.platform === 'linux' && mayRaiseTo(niceBelowMain(BACKGROUND_NICE_STEPS)))
      this.timer = setInterval(() => this.sample(), sampleMs).unref();
  }

  /** Sets every other thread to the current level: call once a new thread runs (a new answer worker). */
  apply(): void {
    if (process.platform !== 'linux') return;
    let threads: string[];
    try {
      threads = readdirSync('/proc/self/task');
    } catch {
      return;
    }
    const target = niceBelowMain(this.steps);
    for (const thread of threads) if (Number(thread) !== process.pid) setNice(Number(thread), target, { raise: true });
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, this.last);
    this.last = now;
    const steps = utilization >= BUSY_UTILIZATION ? BUSY_NICE_STEPS : utilization < CALM_UTILIZATION ? BACKGROUND_NICE_STEPS : this.steps;
    if (steps === this.steps) return;
    this.steps = steps;
    this.apply();
  }
}

/** Sets `thread` (0: the calling one) to `target`; lowers only, unless `raise`. */
function setNice(thread: number, target: number, { raise }: { raise: boolean }): void {
  try {
    const nice = os.getPriority(thread);
    if (nice < target || (raise && nice > target)) os.setPriority(thread, target);
  } catch {
    // Not allowed, or the thread has ended: it keeps its priority.
  }
}

/** `steps` below the main thread, whose thread id is the process id (19 at most). */
function niceBelowMain(steps: number): number {
  return Math.min(19, os.getPriority(process.pid) + steps);
}

/**
 * Whether this process may set a thread's nice value back up to `nice` after lowering it: with
 * CAP_SYS_NICE, or down to 20 - RLIMIT_NICE (0 by default: never).
 */
export function mayRaiseTo(nice: number): boolean {
  try {
    const capabilities = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    const CAP_SYS_NICE = 23n;
    if (capabilities !== undefined && (BigInt(`0x${capabilities}`) >> CAP_SYS_NICE) & 1n) return true;
    const limit = /^Max nice priority\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    return limit !== undefined && nice >= 20 - Number(limit);
  } catch {
    return false;
  }
}
