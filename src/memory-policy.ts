import v8 from 'node:v8';
import type { ResourceLimits } from 'node:worker_threads';

/**
 * V8 lets a heap grow to several times its live size while it allocates fast: under a burst of
 * 10,000 callbacks the app's RSS reached 454 MB (bench/). A bot runs on small servers next to
 * other things, so each heap may only grow by 30% of what it holds after a full GC (50%: 15 MB
 * more at the peak; 20% began to cost the answers' latency), for a little more GC time in a burst
 * and none at normal rates. Set before the answer worker starts, so both heaps follow it (V8
 * flags are per process).
 */
export function boundHeapGrowth(): void {
  v8.setFlagsFromString('--heap-growing-percent=30');
}

/**
 * The answer worker's young generation: V8 lets it grow to two 16 MB semi-spaces, 32 MB that stay
 * committed while answers flow. A worker that waits on the LLM most of the time does well with
 * 4 MB ones (bench/: peak RSS 287 -> 258 MB, framework overhead unchanged). The main thread keeps
 * V8's default: its acks allocate fast, and smaller semi-spaces cost them 10% of their throughput.
 */
export const ANSWER_WORKER_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 12 };
