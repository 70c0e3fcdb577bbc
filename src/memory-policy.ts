import v8 from 'node:v8';

/**
 * V8 lets a heap grow to several times its live size while it allocates fast: under a burst of
 * 10,000 callbacks the app's RSS reached 454 MB (bench/). A bot runs on small servers next to
 * other things, so each heap may only grow by half of what it holds after a full GC: 291 MB in the
 * same burst, for a little more GC time in a burst and none at normal rates. Set before the answer
 * worker starts, so both heaps follow it (V8 flags are per process).
 */
export function boundHeapGrowth(): void {
  v8.setFlagsFromString('--heap-growing-percent=50');
}
