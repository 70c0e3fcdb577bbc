import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BACKGROUND_NICE_STEPS } from '../../../src/runtime/thread-priority.js';

const PROBE = fileURLToPath(new URL('../../support/thread-priority-probe.ts', import.meta.url));

interface Nices {
  main: number;
  others: number[];
}

async function probe(mode: string): Promise<Nices> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', import.meta.resolve('tsx'), PROBE, mode]);
  return JSON.parse(stdout) as Nices;
}

const linux = { skip: process.platform !== 'linux' };

test('on Linux a thread lowers itself BACKGROUND_NICE_STEPS below the main thread, which keeps its priority', linux, async () => {
  const [untouched, self] = await Promise.all([probe('none'), probe('self')]);
  const base = untouched.main;
  // A process has V8's helper threads and the worker besides its main thread, all at its priority.
  assert.ok(untouched.others.length >= 3, `threads besides the main one: ${untouched.others.length}`);
  assert.ok(
    untouched.others.every((nice) => nice === base),
    `before: ${JSON.stringify(untouched)}`,
  );
  assert.equal(self.main, Math.min(19, base + BACKGROUND_NICE_STEPS));
});
