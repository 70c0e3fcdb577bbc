// Run in a fresh process by test/src/runtime/thread-priority.test.ts: prints the nice value of each thread.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { AckPriority, mayRaiseTo, runThisThreadInBackground } from '../../src/runtime/thread-priority.js';
import { startWeworktop } from './weworktop-harness.js';

const niceOf = (thread: string) => {
  const stat = readFileSync(`/proc/self/task/${thread}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces): state is 3rd, nice the 19th.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
};

const nices = () => {
  const others = readdirSync('/proc/self/task').filter((thread) => Number(thread) !== process.pid);
  return { main: niceOf(String(process.pid)), others: others.map(niceOf) };
};

/** Keeps the event loop running for `ms`, in 20 ms slices with a turn of the loop between them. */
async function saturate(ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const slice = performance.now() + 20;
    while (performance.now() < slice);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const mode = process.argv[2];
if (mode === 'may-raise') {
  // One step down and back up again, against what mayRaiseTo foretold.
  const nice = os.getPriority(0);
  const predicted = mayRaiseTo(nice);
  os.setPriority(0, nice + 1);
  let raised = true;
  try {
    os.setPriority(0, nice);
  } catch {
    raised = false;
  }
  process.stdout.write(JSON.stringify({ predicted, raised }));
} else if (mode === 'app') {
  // The real app: its answer worker lowers itself, and the main thread lowers it (and the rest).
  const harness = await startWeworktop();
  process.stdout.write(JSON.stringify(nices()));
  await harness.stop();
} else {
  const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
  await new Promise((resolve) => worker.once('online', resolve));
  if (mode === 'self') runThisThreadInBackground();
  if (mode === 'helpers') new AckPriority().apply();
  if (mode === 'busy') {
    // Saturated, then calm: samples every 50 ms.
    const priority = new AckPriority(50);
    priority.apply();
    await saturate(400);
    const busy = nices();
    await sleep(300);
    process.stdout.write(JSON.stringify({ busy, calm: nices() }));
    priority.stop();
  } else {
    process.stdout.write(JSON.stringify(nices()));
  }
  await worker.terminate();
}
