import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../../../src/logger.js';
import { RedisRateLimiter } from '../../../../src/store/redis/redis-rate-limiter.js';
import { RedisSessions } from '../../../../src/store/redis/redis-sessions.js';
import { redisForSuite } from '../../../support/redis-server.js';

const logger = createLogger({ level: 'silent' });

const redis = redisForSuite();
const connect = (prefix: string) => redis.connect(prefix);

describe('rate limits and conversations in redis (a real redis-server)', () => {
  test('TAKE: one window per user over every instance; told once; a slot given back is free again; the keys expire', async () => {
    const first = await connect('rl1:');
    const a = new RedisRateLimiter(first, 3);
    const b = new RedisRateLimiter(await connect('rl1:'), 3);
    assert.deepEqual([await a.take('u1'), await b.take('u1'), await a.take('u1')], ['ok', 'ok', 'ok']);
    assert.equal(await b.take('u1'), 'limited-first');
    assert.equal(await a.take('u1'), 'limited');
    assert.equal(await a.take('u2'), 'ok', 'another user has a window of their own');
    b.giveBack('u1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await a.take('u1'), 'ok');
    const ttl = await first.redis.pttl('rl1:rate:u1');
    assert.ok(ttl > 0 && ttl <= 60_000, `ttl ${ttl}`);
  });

  test('the window slides: past it the user may send again', async () => {
    const limiter = new RedisRateLimiter(await connect('rl2:'), 1, 200);
    assert.equal(await limiter.take('u1'), 'ok');
    assert.equal(await limiter.take('u1'), 'limited-first');
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(await limiter.take('u1'), 'ok');
  });

  test('conversations: saved with expires_in_seconds as TTL, fetched by another instance, deleted for good', async () => {
    const a = new RedisSessions(await connect('cv:'), 3600, logger);
    const second = await connect('cv:');
    const b = new RedisSessions(second, 3600, logger);
    const saved = { turns: [{ message: { role: 'user', content: 'hi' }, tokens: 1, messageId: 'm1' }], lastActive: 5 };
    a.save('u1', saved as never);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(await b.fetch('u1'), saved);
    const ttl = await second.redis.ttl('cv:conversation:u1');
    assert.ok(ttl > 3500 && ttl <= 3600, `ttl ${ttl}`);
    b.delete('u1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await a.fetch('u1'), undefined);
    assert.equal(a.load('u1'), undefined, 'nothing is read without fetch');
  });
});
