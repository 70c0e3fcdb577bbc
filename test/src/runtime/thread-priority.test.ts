import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BACKGROUND_NICE_STEPS, BUSY_NICE_STEPS, mayRaiseTo } from '../../../src/runtime/thread-priority.js';

const PROBE = fileURLToPath(new URL('../../support/thread-priority-probe.ts', import.meta.url));

interface Nices {
  main: number;
  others: number[];
}

async function probe<T = Nices>(mode: string, user: { uid?: number; gid?: number } = {}): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', import.meta.resolve('tsx'), PROBE, mode], user);
  return JSON.parse(stdout) as T;
}

const linux = { skip: process.platform !== 'linux' };

test(
  "on Linux the main thread keeps its priority and every other thread (V8's helpers, the answer worker) runs BACKGROUND_NICE_STEPS lower",
  linux,
  async () => {
    const [untouched, lowered, self, app] = await Promise.all([probe('none'), probe('helpers'), probe('self'), probe('app')]);
    const base = untouched.main;
    const target = Math.min(19, base + BACKGROUND_NICE_STEPS);
    // A process has V8's helper threads and the worker besides its main thread, all at its priority...
    assert.ok(untouched.others.length >= 3, `threads besides the main one: ${untouched.others.length}`);
    assert.ok(
      untouched.others.every((nice) => nice === base),
      `before: ${JSON.stringify(untouched)}`,
    );
    // ...and lowered, all of them run below it, the main thread as it was.
    assert.equal(lowered.main, base);
    assert.ok(
      lowered.others.every((nice) => nice === target),
      `after: ${JSON.stringify(lowered)}`,
    );
    // A thread can lower itself (the answer worker does, as it starts).
    assert.equal(self.main, target);
    // In the app the answer worker is lowered twice over (by itself and by the main thread), and
    // still runs one step below, like the helpers.
    assert.equal(app.main, base);
    assert.ok(app.others.length >= 4, `the app's threads besides the main one: ${app.others.length}`);
    assert.ok(
      app.others.every((nice) => nice === target),
      `the app: ${JSON.stringify(app)}`,
    );
  },
);

test(
  'while the main thread is saturated the others run BUSY_NICE_STEPS lower, and back at BACKGROUND_NICE_STEPS once it is calm, where the process may raise them again',
  linux,
  async () => {
    const { busy, calm } = await probe<{ busy: Nices; calm: Nices }>('busy');
    const base = busy.main;
    const background = Math.min(19, base + BACKGROUND_NICE_STEPS);
    assert.equal(calm.main, base);
    assert.ok(
      calm.others.every((nice) => nice === background),
      `calm: ${JSON.stringify(calm)}`,
    );
    // Without the right to raise them back (not root, no RLIMIT_NICE), a burst must not leave them lower for good.
    const busyTarget = mayRaiseTo(background) ? Math.min(19, base + BUSY_NICE_STEPS) : background;
    assert.ok(
      busy.others.every((nice) => nice === busyTarget),
      `busy: ${JSON.stringify(busy)}`,
    );
  },
);

test('mayRaiseTo says what setting a priority back up will do: as this user, and as nobody when this is root', linux, async () => {
  const asThisUser = await probe<{ predicted: boolean; raised: boolean }>('may-raise');
  assert.equal(asThisUser.predicted, asThisUser.raised);
  if (process.getuid?.() !== 0) return;
  // Root may (CAP_SYS_NICE); nobody, with RLIMIT_NICE at its default 0, may not.
  assert.equal(asThisUser.raised, true);
  const asNobody = await probe<{ predicted: boolean; raised: boolean }>('may-raise', { uid: 65534, gid: 65534 });
  assert.deepEqual(asNobody, { predicted: false, raised: false });
});
