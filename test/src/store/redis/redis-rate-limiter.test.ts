import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../../../src/logger.js';
import { openRedis, type RedisConnection } from '../../../../src/store/redis/redis-connection.js';
import { RedisRateLimiter } from '../../../../src/store/redis/redis-rate-limiter.js';
import { RedisSessions } from '../../../../src/store/redis/redis-sessions.js';
import { TestRedisServer } from '../../../support/redis-server.js';

const logger = createLogger({ level: 'silent' });
let server: TestRedisServer;
const connections: RedisConnection[] = [];

async function connect(prefix: string): Promise<RedisConnection> {
  const connection = openRedis({ redis_url: server.url, redis_prefix: prefix, lease_seconds: 1 }, logger, 'test');
  connections.push(connection);
  while (!connection.available()) await new Promise((resolve) => setTimeout(resolve, 10));
  return connection;
}

describe('rate limits and conversations in redis (a real redis-server)', () => {
  before(async () => {
    server = await TestRedisServer.start();
  });
  after(async () => {
    for (const connection of connections) await connection.close();
    await server.stop();
  });

  test('TAKE: one window per user over every instance; told once; a slot given back is free again; the keys expire', async () => {
    const a = new RedisRateLimiter(await connect('rl1:'), 3);
    const b = new RedisRateLimiter(await connect('rl1:'), 3);
    assert.deepEqual([await a.take('u1'), await b.take('u1'), await a.take('u1')], ['ok', 'ok', 'ok']);
    assert.equal(await b.take('u1'), 'limited-first');
    assert.equal(await a.take('u1'), 'limited');
    assert.equal(await a.take('u2'), 'ok', 'another user has a window of their own');
    b.giveBack('u1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await a.take('u1'), 'ok');
    const ttl = await connections[0]!.redis.pttl('rl1:rate:u1');
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
    const b = new RedisSessions(await connect('cv:'), 3600, logger);
    const saved = { turns: [{ message: { role: 'user', content: 'hi' }, tokens: 1, messageId: 'm1' }], lastActive: 5 };
    a.save('u1', saved as never);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(await b.fetch('u1'), saved);
    const ttl = await connections.at(-1)!.redis.ttl('cv:conversation:u1');
    assert.ok(ttl > 3500 && ttl <= 3600, `ttl ${ttl}`);
    b.delete('u1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await a.fetch('u1'), undefined);
    assert.equal(a.load('u1'), undefined, 'nothing is read without fetch');
  });
});
