// Run in a fresh process by test/src/runtime/thread-priority.test.ts: prints the nice value of each thread.
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { runThisThreadInBackground } from '../../src/runtime/thread-priority.js';

const niceOf = (thread: string) => {
  const stat = readFileSync(`/proc/self/task/${thread}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces): state is 3rd, nice the 19th.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
};

const nices = () => {
  const others = readdirSync('/proc/self/task').filter((thread) => Number(thread) !== process.pid);
  return { main: niceOf(String(process.pid)), others: others.map(niceOf) };
};

const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
await new Promise((resolve) => worker.once('online', resolve));
if (process.argv[2] === 'self') runThisThreadInBackground();
process.stdout.write(JSON.stringify(nices()));
await worker.terminate();
