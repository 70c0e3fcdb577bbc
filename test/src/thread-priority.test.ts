import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { BACKGROUND_NICE_STEPS } from '../../src/thread-priority.js';

const PROBE = fileURLToPath(new URL('../support/thread-priority-probe.ts', import.meta.url));

async function nices(mode: string): Promise<{ main: number; others: number[] }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', import.meta.resolve('tsx'), PROBE, mode]);
  return JSON.parse(stdout) as { main: number; others: number[] };
}

test('on Linux the main thread keeps its priority and every other thread (V8\'s helpers, the answer worker) runs BACKGROUND_NICE_STEPS lower', { skip: process.platform !== 'linux' }, async () => {
  const [untouched, lowered, self, app] = await Promise.all([nices('none'), nices('helpers'), nices('self'), nices('app')]);
  const base = untouched.main;
  const target = Math.min(19, base + BACKGROUND_NICE_STEPS);
  // A process has V8's helper threads and the worker besides its main thread, all at its priority...
  assert.ok(untouched.others.length >= 3, `threads besides the main one: ${untouched.others.length}`);
  assert.ok(untouched.others.every((nice) => nice === base), `before: ${JSON.stringify(untouched)}`);
  // ...and lowered, all of them run below it, the main thread as it was.
  assert.equal(lowered.main, base);
  assert.ok(lowered.others.every((nice) => nice >= target), `after: ${JSON.stringify(lowered)}`);
  // A thread can lower itself (the answer worker does, as it starts).
  assert.equal(self.main, target);
  // In the app the answer worker is lowered twice over (by itself and by the main thread), and
  // still runs one step below, like the helpers.
  assert.equal(app.main, base);
  assert.ok(app.others.length >= 4, `the app's threads besides the main one: ${app.others.length}`);
  assert.ok(app.others.every((nice) => nice === target), `the app: ${JSON.stringify(app)}`);
});
