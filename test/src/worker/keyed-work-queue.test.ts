import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedWorkQueue } from '../../../src/worker/answer-runner.js';

describe('KeyedWorkQueue', () => {
  test('runs one key in order, different keys in parallel, never above concurrency', async () => {
    const queue = new KeyedWorkQueue({ concurrency: 3, onError: () => {} });
    const order: Record<string, number[]> = {};
    let running = 0;
    let peak = 0;
    const active = new Set<string>();
    for (let i = 0; i < 5; i++) {
      for (const key of ['a', 'b', 'c', 'd', 'e']) {
        queue.enqueue(key, async () => {
          assert.ok(!active.has(key), `two tasks of ${key} ran at once`);
          active.add(key);
          running += 1;
          peak = Math.max(peak, running);
          await sleep(2);
          (order[key] ??= []).push(i);
          running -= 1;
          active.delete(key);
        });
      }
    }
    await queue.onIdle();
    assert.equal(peak, 3);
    for (const key of ['a', 'b', 'c', 'd', 'e']) assert.deepEqual(order[key], [0, 1, 2, 3, 4]);
  });

  test('keeps running after a task throws', async () => {
    const errors: unknown[] = [];
    const queue = new KeyedWorkQueue({ concurrency: 1, onError: (error) => errors.push(error) });
    let ran = false;
    queue.enqueue('b', async () => {
      throw new Error('boom');
    });
    queue.enqueue('c', async () => {
      ran = true;
    });
    await queue.onIdle();
    assert.equal(ran, true);
    assert.equal((errors[0] as Error).message, 'boom');
  });
});
