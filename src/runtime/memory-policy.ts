import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { ResourceLimits } from 'node:worker_threads';

/**
 * V8 lets a heap grow to several times its live size while it allocates fast: under a burst of
 * 10,000 callbacks the app's RSS reached 454 MB (bench/). A bot runs on small servers next to
 * other things, so each heap may only grow by 30% of what it holds after a full GC (50%: 15 MB
 * more at the peak; 20%: 8 MB less, but its two runs had the worst answer latencies), for a
 * little more GC time in a burst and none at normal rates. Set before the answer worker starts,
 * so both heaps follow it (V8 flags are per process).
 */
export function boundHeapGrowth(): void {
  v8.setFlagsFromString('--heap-growing-percent=30');
}

/** The answer worker's semi-spaces (V8's default lets them reach 16 MB). */
const ANSWER_WORKER_SEMI_SPACE_MB = 4;

/**
 * The answer worker's heap limits, for starting it; call right before. Its young generation is
 * two ANSWER_WORKER_SEMI_SPACE_MB semi-spaces (V8 would let them take 32 MB that stay committed
 * while answers flow), and it starts at that size: with the main thread's young generation held
 * (below), the growth factor is 1 most of the time, and a worker starting at V8's 1 MB stayed
 * there and scavenged every 3 ms, 17% of its time in a burst (10% with 4 MB; bench/). 2 MB ones
 * gave no lower peak within this VM's noise and a worse framework overhead p99 (7.0-9.0 ms in
 * four runs, 4.0-8.3 ms in five with 4 MB). V8 reads the minimum when it creates an isolate; the
 * main thread's has been created by then.
 */
export function answerWorkerResourceLimits(): ResourceLimits {
  v8.setFlagsFromString(`--min-semi-space-size=${ANSWER_WORKER_SEMI_SPACE_MB}`);
  // V8's young generation is its two semi-spaces and a large-object space of the same size.
  return { maxYoungGenerationSizeMb: 3 * ANSWER_WORKER_SEMI_SPACE_MB };
}

/** The main thread's semi-spaces stop growing at this size (V8's default lets them reach 16 MB). */
export const MAIN_SEMI_SPACE_MB = 4;

/**
 * The main thread's young generation, held at two MAIN_SEMI_SPACE_MB semi-spaces: left to V8, a
 * burst of callbacks grows it to 32 MB that stay committed (bench/: peak RSS 231 MB, 199-207
 * with this, and shorter scavenges for the acks). Its maximum is fixed when the isolate is
 * created, before any of our code runs, but V8 reads the growth factor each time a semi-space
 * grows. So after each of this thread's GCs the factor is set to 2 (grow) below the size and to 1
 * (stay) at it, and again once a new isolate runs (the answer worker, a restart of it), because
 * creating one puts it back to 2. A GC's report comes between tasks: one long synchronous stretch
 * (loading modules) can still grow it, at most to V8's default. The flag is per process, so while
 * it is 1 the worker cannot grow either; it has its own limit by then, or stays smaller. Held
 * while anyone holds it (an app, the benchmark); returns the release.
 */
export function holdMainYoungGeneration(): () => void {
  if (holders++ === 0) {
    youngGenerationObserver = new PerformanceObserver(adjustYoungGenerationGrowth);
    youngGenerationObserver.observe({ entryTypes: ['gc'] });
    adjustYoungGenerationGrowth();
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders > 0) return;
    youngGenerationObserver?.disconnect();
    youngGenerationObserver = undefined;
    v8.setFlagsFromString('--semi-space-growth-factor=2');
  };
}

/** A new isolate (a Worker) puts the growth factor back to 2: call this once it runs. */
export function keepYoungGenerationHeld(): void {
  if (holders > 0) adjustYoungGenerationGrowth();
}

let holders = 0;
let youngGenerationObserver: PerformanceObserver | undefined;

function adjustYoungGenerationGrowth(): void {
  const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  const full = young !== undefined && young.space_size >= 2 * MAIN_SEMI_SPACE_MB * 1024 * 1024;
  v8.setFlagsFromString(`--semi-space-growth-factor=${full ? 1 : 2}`);
}
