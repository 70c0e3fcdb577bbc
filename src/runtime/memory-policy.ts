import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/**
 * V8 lets a heap grow to several times its live size in a burst; a bot shares small servers, so
 * each heap may grow by 30% of what it holds after a full GC (docs/performance.md, Memory policy).
 * Set before the answer worker starts, so both heaps follow it (V8 flags are per process).
 */
export function boundHeapGrowth(): void {
  v8.setFlagsFromString('--heap-growing-percent=30');
}

/** The main thread's semi-spaces stop growing at this size (V8's default lets them reach 16 MB). */
export const MAIN_SEMI_SPACE_MB = 4;

/**
 * The main thread's young generation, held at two MAIN_SEMI_SPACE_MB semi-spaces: a burst would
 * grow it to V8's maximum, which stays committed. The maximum is fixed before our code runs, but
 * V8 reads the growth factor on each growth: after each GC it is set to 2 below the size and 1 at
 * it, and again once a new isolate runs, as creating one resets it (docs/performance.md).
 * Held while anyone holds it (an app, the benchmark); returns the release.
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
