import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { describe, test } from 'node:test';
import { startWeworktop } from '../../support/weworktop-harness.js';

/** The nice value of every thread of this process but the main one. */
function otherThreadsNice(): number[] {
  return readdirSync('/proc/self/task')
    .map(Number)
    .filter((thread) => thread !== process.pid)
    .map((thread) => {
      try {
        return os.getPriority(thread);
      } catch {
        return Number.NaN;
      }
    })
    .filter((nice) => !Number.isNaN(nice));
}

describe('runtime_tuning', { skip: process.platform !== 'linux' && 'thread priorities are per thread on Linux only' }, () => {
  // First: threads lowered by the other test stay lowered in this process.
  test("false: every thread keeps the main thread's priority", async () => {
    const harness = await startWeworktop({ config: { runtime_tuning: false } });
    try {
      const main = os.getPriority(process.pid);
      assert.deepEqual([...new Set(otherThreadsNice())], [main]);
      await harness.client.sendText('zhangsan', 'still answered');
      const [reply] = await harness.wecom.waitForSent(1, 5000);
      assert.ok(reply, 'answered with tuning off');
    } finally {
      await harness.stop();
    }
  });
  test('on (the default): the answer worker runs below the main thread', async () => {
    const harness = await startWeworktop({ config: { runtime_tuning: true } });
    try {
      const main = os.getPriority(process.pid);
      assert.ok(
        otherThreadsNice().some((nice) => nice >= main + 5),
        'some thread 5 steps below the main one',
      );
    } finally {
      await harness.stop();
    }
  });
});
