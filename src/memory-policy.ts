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

/**
 * The answer worker's young generation: V8 lets it grow to two 16 MB semi-spaces, 32 MB that stay
 * committed while answers flow. A worker that waits on the LLM most of the time does well with
 * 4 MB ones (bench/: 25 MB less at the peak; shorter, more frequent scavenges, and framework
 * overhead no worse). The main thread keeps V8's default, which only node's command line can
 * change: its acks allocate fast, and 4 MB semi-spaces cost them about 4% of their throughput.
 */
export const ANSWER_WORKER_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 12 };
