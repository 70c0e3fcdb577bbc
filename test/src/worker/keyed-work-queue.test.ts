import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RecentKeys } from '../../../src/recent-keys.js';
import { KeyedWorkQueue } from '../../../src/worker/answer-runner.js';

describe('KeyedWorkQueue', () => {
  test('runs one key in order, different keys in parallel, never above concurrency', async () => {
    const queue = new KeyedWorkQueue({ concurrency: 3, maxWaiting: 100, onError: () => {} });
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

  test('refuses past maxWaiting and keeps running after a task throws', async () => {
    const errors: unknown[] = [];
    const queue = new KeyedWorkQueue({ concurrency: 1, maxWaiting: 2, onError: (error) => errors.push(error) });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    assert.equal(
      queue.enqueue('a', () => gate),
      true,
    );
    await sleep(1);
    assert.equal(
      queue.enqueue('b', async () => {
        throw new Error('boom');
      }),
      true,
    );
    let ran = false;
    assert.equal(
      queue.enqueue('c', async () => {
        ran = true;
      }),
      true,
    );
    assert.equal(
      queue.enqueue('d', async () => {}),
      false,
      'two already waiting',
    );
    release();
    await queue.onIdle();
    assert.equal(ran, true);
    assert.equal((errors[0] as Error).message, 'boom');
    assert.equal(queue.size, 0);
  });
});

describe('RecentKeys', () => {
  test('reports a key seen within the ttl, forgets it after', () => {
    let now = 0;
    const keys = new RecentKeys({ ttlMs: 600_000, maxEntries: 10, now: () => now });
    assert.equal(keys.checkAndAdd('m1'), false);
    now = 15_000;
    assert.equal(keys.checkAndAdd('m1'), true);
    now = 600_001;
    assert.equal(keys.checkAndAdd('m1'), false);
  });
  test('is bounded in memory', () => {
    const keys = new RecentKeys({ ttlMs: 600_000, maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) keys.checkAndAdd(`m${i}`);
    assert.equal(keys.size, 100);
  });
});
