import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RateLimiter } from '../../../src/app/intake.js';

function limiter(perMinute: number) {
  let now = 1_000_000;
  const clock = { advance: (ms: number) => void (now += ms) };
  return { rate: new RateLimiter(perMinute, { now: () => now }), clock };
}

describe('RateLimiter', () => {
  test('allows rate_limit_per_minute messages in a sliding minute, says "limited-first" once, then "limited"', () => {
    const { rate, clock } = limiter(3);
    assert.deepEqual([rate.take('zhangsan'), rate.take('zhangsan'), rate.take('zhangsan')], ['ok', 'ok', 'ok']);
    assert.equal(rate.take('zhangsan'), 'limited-first');
    assert.equal(rate.take('zhangsan'), 'limited');
    assert.equal(rate.take('lisi'), 'ok', 'other users have their own window');
    // The first message leaves the window after a minute: one slot frees up, the window is new.
    clock.advance(60_001);
    assert.deepEqual([rate.take('zhangsan'), rate.take('zhangsan'), rate.take('zhangsan')], ['ok', 'ok', 'ok']);
    assert.equal(rate.take('zhangsan'), 'limited-first', 'told again in the new window');
  });

  test('one message a minute: the second within the minute is refused at 1, the one after a minute is not', () => {
    const { rate, clock } = limiter(1);
    assert.equal(rate.take('u'), 'ok');
    clock.advance(30_000);
    assert.equal(rate.take('u'), 'limited-first');
    clock.advance(30_001);
    assert.equal(rate.take('u'), 'ok');
    clock.advance(60_001);
    assert.equal(rate.take('u'), 'ok', 'a single message that left the window');
  });

  test('giveBack returns the slot of the last take (a platform retry or a refused message), for one message and for more', () => {
    const { rate } = limiter(2);
    assert.equal(rate.take('u'), 'ok');
    rate.giveBack('u');
    assert.deepEqual([rate.take('u'), rate.take('u')], ['ok', 'ok']);
    rate.giveBack('u');
    assert.equal(rate.take('u'), 'ok');
    assert.equal(rate.take('u'), 'limited-first');
    rate.giveBack('nobody');
  });

  test('0 turns it off', () => {
    const { rate } = limiter(0);
    for (let i = 0; i < 100; i++) assert.equal(rate.take('u'), 'ok');
  });

  test('users idle for a window are forgotten on the next sweep (memory stays bounded)', () => {
    const { rate, clock } = limiter(2);
    for (let i = 0; i < 1000; i++) rate.take(`user-${i}`);
    rate.take('busy');
    rate.take('busy');
    clock.advance(60_001);
    rate.take('busy');
    const size = (rate as unknown as { hits: Map<string, unknown> }).hits.size;
    assert.equal(size, 1, 'only the user active in the last minute is kept');
  });
});
