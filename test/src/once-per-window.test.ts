import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OncePerWindow } from '../../src/once-per-window.js';

test('a key gets one yes per window, every key its own', () => {
  let now = 0;
  const once = new OncePerWindow(1000, 100, () => now);
  assert.equal(once.take('zhangsan'), true);
  assert.equal(once.take('zhangsan'), false);
  assert.equal(once.take('lisi'), true);
  now = 999;
  assert.equal(once.take('zhangsan'), false);
  now = 1000;
  assert.equal(once.take('zhangsan'), true);
  assert.equal(once.take('lisi'), true);
  assert.equal(once.take('lisi'), false);
});

test('past maxKeys the oldest are forgotten (one more yes for them), never the newest', () => {
  let now = 0;
  const once = new OncePerWindow(60_000, 3, () => now);
  for (const key of ['a', 'b', 'c', 'd']) {
    now += 1;
    assert.equal(once.take(key), true);
  }
  assert.equal(once.take('d'), false);
  assert.equal(once.take('c'), false);
  assert.equal(once.take('b'), false);
  // "a" was the oldest of four with room for three.
  assert.equal(once.take('a'), true);
});

test('expired keys go as new ones come, so memory follows the window', () => {
  let now = 0;
  const once = new OncePerWindow(10, 1000, () => now);
  for (let i = 0; i < 500; i++) {
    now = i;
    once.take(`user${i}`);
  }
  // Only the last 10 ms of keys are still remembered.
  assert.equal(once.take('user495'), false);
  assert.equal(once.take('user480'), true);
  assert.ok(once.size <= 12, `${once.size} keys remembered`);
});
