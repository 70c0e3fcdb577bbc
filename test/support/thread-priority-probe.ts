// Run in a fresh process by test/src/thread-priority.test.ts: prints the nice value of each thread.
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { runHelperThreadsInBackground, runThisThreadInBackground } from '../../src/thread-priority.js';
import { startWeworktop } from './weworktop-harness.js';

const niceOf = (thread: string) => {
  const stat = readFileSync(`/proc/self/task/${thread}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces): state is 3rd, nice the 19th.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
};

const report = () => {
  const others = readdirSync('/proc/self/task').filter((thread) => Number(thread) !== process.pid);
  process.stdout.write(JSON.stringify({ main: niceOf(String(process.pid)), others: others.map(niceOf) }));
};

const mode = process.argv[2];
if (mode === 'app') {
  // The real app: its answer worker lowers itself, and the main thread lowers it (and the rest).
  const harness = await startWeworktop();
  report();
  await harness.stop();
} else {
  const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
  await new Promise((resolve) => worker.once('online', resolve));
  if (mode === 'helpers') runHelperThreadsInBackground();
  if (mode === 'self') runThisThreadInBackground();
  report();
  await worker.terminate();
}
