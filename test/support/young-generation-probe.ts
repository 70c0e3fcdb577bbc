// Run by test/src/runtime/memory-policy.test.ts in a fresh process: `hold` or `free` (and `no-reassert`:
// the hold without keepYoungGenerationHeld once the worker runs), then a load that
// keeps much of what it allocates (the young generation grows with what survives), with a worker
// started in the middle (creating an isolate resets V8's growth factor). Prints the largest
// new space it saw, in MB.
import { once } from 'node:events';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { holdMainYoungGeneration, keepYoungGenerationHeld } from '../../src/runtime/memory-policy.js';

const newSpaceMb = () => (v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0) / 1024 / 1024;
const release = process.argv[2] === 'hold' ? holdMainYoungGeneration() : () => {};
let largest = newSpaceMb();
const kept: unknown[][] = [];
for (let round = 0; round < 1500; round++) {
  if (round === 300) {
    // GC reports still queued (they come a turn or two after the GC) would run the policy after
    // the worker's isolate resets the factor, and set it back before the batch: let them run first.
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    const worker = new Worker('setTimeout(() => {}, 200)', { eval: true });
    if (process.argv[3] !== 'no-reassert') worker.once('online', keepYoungGenerationHeld);
    await once(worker, 'online');
  }
  // Round 300 keeps a large batch at once, right after the worker is up.
  kept.push(Array.from({ length: round === 300 ? 100_000 : 2000 }, (_, i) => ({ i, text: `item ${round}-${i}` })));
  if (kept.length > 20) kept.shift();
  largest = Math.max(largest, newSpaceMb());
  // A server's work comes in tasks; the policy runs between them.
  await new Promise((resolve) => setImmediate(resolve));
}
release();
console.log(JSON.stringify({ largestMb: largest }));
