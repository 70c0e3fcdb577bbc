import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RedisSharedState } from '../../../../src/store/redis/redis-shared-state.js';
import { redisForSuite } from '../../../support/redis-server.js';

const redis = redisForSuite();

describe('redis shared state (a real redis-server)', () => {
  test('joinIfUnder: at most `max` members across processes; a member leaves, or expires', async () => {
    let now = 1_000_000;
    const a = new RedisSharedState(await redis.connect('shared1:', 'a'), () => now);
    const b = new RedisSharedState(await redis.connect('shared1:', 'b'), () => now);
    assert.deepEqual(
      [
        await a.joinIfUnder('open:u1', 'm1', 3, 10_000),
        await b.joinIfUnder('open:u1', 'm2', 3, 10_000),
        await a.joinIfUnder('open:u1', 'm3', 3, 10_000),
      ],
      [true, true, true],
    );
    assert.equal(await b.joinIfUnder('open:u1', 'm4', 3, 10_000), false, 'full, whichever process asks');
    assert.equal(await b.joinIfUnder('open:u1', 'm2', 3, 10_000), true, 'a member already in stays in');
    assert.equal(await a.joinIfUnder('open:u2', 'x1', 3, 10_000), true, 'another group');
    await a.leave('open:u1', 'm1');
    assert.equal(await b.joinIfUnder('open:u1', 'm4', 3, 10_000), true);
    assert.equal(await b.joinIfUnder('open:u1', 'm5', 3, 10_000), false);
    now += 10_001;
    assert.equal(await a.joinIfUnder('open:u1', 'm5', 3, 10_000), true, 'expired members do not count');
  });
});
