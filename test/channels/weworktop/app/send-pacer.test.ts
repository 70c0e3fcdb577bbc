import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SendPacer } from '../../../../channels/weworktop/app/app-replier.js';

test('lets 30 messages a minute through per user and holds the 31st until the window frees', async () => {
  let now = 0;
  const pacer = new SendPacer({
    maxPerWindow: 30,
    windowMs: 60_000,
    now: () => now,
    sleep: () => new Promise((resolve) => setTimeout(resolve, 5)),
  });
  for (let i = 0; i < 30; i++) await pacer.acquire('u1');
  await pacer.acquire('u2');
  let released = false;
  const waiting = pacer.acquire('u1').then(() => (released = true));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(released, false, 'the 31st message in a minute waits');
  now = 60_001;
  await waiting;
  assert.equal(released, true);
});

test('forgets quiet users', async () => {
  let now = 0;
  const pacer = new SendPacer({ maxPerWindow: 30, windowMs: 1000, now: () => now });
  for (let i = 0; i < 100; i++) await pacer.acquire(`u${i}`);
  now = 5000;
  await pacer.acquire('fresh');
  assert.equal(pacer.trackedUsers, 1);
});

test('reports each held send once, with how long it was held (weworktop_wecom_sends_paced_total)', async () => {
  let now = 0;
  const held: number[] = [];
  const pacer = new SendPacer({
    maxPerWindow: 2,
    windowMs: 1000,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    onHeld: (ms) => held.push(ms),
  });
  await pacer.acquire('u1');
  await pacer.acquire('u1');
  assert.deepEqual(held, [], 'sends within the rate are not held');
  await pacer.acquire('u1');
  assert.deepEqual(held, [1001], 'held until the first send of the window is a window old');
});
