import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../../../src/logger.js';
import { ExclusiveLeases } from '../../../../src/store/redis/exclusive-leases.js';
import { RedisInbox } from '../../../../src/store/redis/redis-inbox.js';
import { SessionLeases } from '../../../../src/store/redis/session-leases.js';
import { redisForSuite } from '../../../support/redis-server.js';

const logger = createLogger({ level: 'silent' });

const redis = redisForSuite();
const connect = (prefix: string) => redis.connect(prefix);

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(check(), what);
};

describe('exclusive leases and pools (a real redis-server)', () => {
  test('one holder at a time; RELEASE at a graceful stop hands the name over at once', async () => {
    const events: string[] = [];
    const a = new ExclusiveLeases(await connect('ex1:'), 'a', 600, logger);
    a.hold('bot:x', { gained: () => events.push('a+'), lost: () => events.push('a-') });
    await until(() => events.includes('a+'), 'a holds it');
    const b = new ExclusiveLeases(await connect('ex1:'), 'b', 600, logger);
    b.hold('bot:x', { gained: () => events.push('b+'), lost: () => events.push('b-') });
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.deepEqual(events, ['a+'], 'renewed: b stands by');
    assert.deepEqual(a.held(), ['bot:x']);
    assert.equal(b.isExclusive('bot:x'), true);
    assert.equal(b.isExclusive('bot:y'), false);
    await a.releaseAll();
    await until(() => events.includes('b+'), 'b took it');
    assert.deepEqual(events, ['a+', 'a-', 'b+']);
    await b.releaseAll();
  });

  test("a pool's conversations wait in its own ready set, for its holder's scan; SETTLE clears them from it", async () => {
    const connection = await connect('ex2:');
    const inbox = new RedisInbox(connection, 'a', 1000, logger);
    const settled: Array<string | undefined> = [];
    inbox.listen((_id, _session, next) => settled.push(next));
    const leases = new SessionLeases(connection, 'a', 1000);
    await inbox.add({ id: 'm1', channel: 'weworktop', sessionKey: 's1', rawJson: '{}', receivedAt: 1, pool: 'bot:x' });
    assert.deepEqual(await leases.waiting(10), [], 'not in the common pool');
    assert.deepEqual(await leases.waiting(10, 'bot:x'), ['s1']);
    assert.equal(await leases.claim('s1', 'bot:x'), 'm1');
    inbox.markDone('m1');
    await until(() => settled.length === 1, 'settled');
    assert.deepEqual(await leases.waiting(10, 'bot:x'), []);
  });
});
