import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { redisCheck } from '../../../src/doctor/redis-check.js';
import { closedPort } from '../../support/closed-port.js';
import { TestRedisServer } from '../../support/redis-server.js';

describe('doctor: redis (store "redis")', () => {
  let server: TestRedisServer;
  before(async () => {
    server = await TestRedisServer.start();
  });
  after(async () => {
    await server.stop();
  });

  test('a Redis with AOF on passes; with AOF off it fails, and the fix is appendonly yes', async () => {
    const config = { redis_url: server.url, redis_prefix: 'weworktop:' };
    const on = await redisCheck(config, 2000).run();
    assert.equal(on.status, 'pass', on.detail);
    assert.match(on.detail, /AOF on/);
    const admin = new Redis(server.url);
    await admin.config('SET', 'appendonly', 'no');
    const off = await redisCheck(config, 2000).run();
    await admin.config('SET', 'appendonly', 'yes');
    admin.disconnect();
    assert.equal(off.status, 'fail');
    assert.match(off.fix!, /appendonly yes/);
  });

  test('an unreachable redis_url fails and names it; an empty one says which key to set', async () => {
    const down = await redisCheck({ redis_url: `redis://:secret-pass@127.0.0.1:${await closedPort()}`, redis_prefix: 'w:' }, 1000).run();
    assert.equal(down.status, 'fail');
    assert.match(down.fix!, /redis_url/);
    assert.ok(!down.detail.includes('secret-pass'), down.detail);
    const empty = await redisCheck({ redis_url: '', redis_prefix: 'w:' }, 1000).run();
    assert.match(empty.fix!, /redis_url/);
  });
});
