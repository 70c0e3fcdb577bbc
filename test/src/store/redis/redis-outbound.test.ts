import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../../../src/logger.js';
import { RedisOutbound } from '../../../../src/store/redis/redis-outbound.js';
import { redisForSuite } from '../../../support/redis-server.js';

const logger = createLogger({ level: 'silent' });
const LEASE_MS = 300;
let prefixes = 0;
const redis = redisForSuite();

/** One instance's view of the queue, under a prefix shared with the other instances of the test. */
function instance(owner: string, prefix: string): RedisOutbound {
  return new RedisOutbound(redis.open(prefix, owner), owner, LEASE_MS, logger);
}
const pair = async () => {
  const prefix = `out${++prefixes}:`;
  const [a, b] = [instance('a', prefix), instance('b', prefix)];
  await redis.ready();
  return [a, b] as const;
};
const push = (id: string, orderKey = 'alice', idempotencyKey?: string) => ({
  kind: 'push' as const,
  id,
  orderKey,
  bodyJson: JSON.stringify({ text: id }),
  createdAt: Date.now(),
  ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
});

describe('redis outbound queue (a real redis-server)', () => {
  test('an idempotency key is known to every instance: the first id, nothing stored twice', async () => {
    const [a, b] = await pair();
    assert.deepEqual(await a.add(push('p1', 'alice', 'k1')), { id: 'p1', created: true });
    assert.deepEqual(await b.add(push('p2', 'alice', 'k1')), { id: 'p1', created: false });
    assert.equal((await b.get('push', 'p1'))?.status, 'queued');
    assert.equal(await b.get('push', 'p2'), undefined);
    assert.deepEqual(
      (await b.queued('push')).map((entry) => entry.id),
      ['p1'],
    );
  });

  test("one instance claims a key's entries, in order; the other gets none until the holder releases it", async () => {
    const [a, b] = await pair();
    for (const id of ['p1', 'p2', 'p3']) await (id === 'p2' ? b : a).add(push(id));
    await a.add(push('q1', 'bob'));
    const claimed = await a.claim('push', 10);
    assert.deepEqual(claimed.map((entry) => `${entry.orderKey}/${entry.id}`).sort(), ['alice/p1', 'alice/p2', 'alice/p3', 'bob/q1']);
    assert.deepEqual(
      claimed.filter((entry) => entry.orderKey === 'alice').map((entry) => entry.id),
      ['p1', 'p2', 'p3'],
    );
    assert.deepEqual(await b.claim('push', 10), []);
    for (const id of ['p1', 'p2', 'p3']) a.settle('push', id, 'sent');
    await b.add(push('p4'));
    assert.deepEqual(
      (await a.more('push', 'alice'))?.map((entry) => entry.id),
      ['p4'],
      'what came in meanwhile stays with the holder',
    );
    a.settle('push', 'p4', 'sent');
    assert.deepEqual(await a.more('push', 'alice'), [], 'nothing left: released');
    assert.equal((await b.get('push', 'p4'))?.status, 'sent');
    await b.add(push('p5'));
    assert.deepEqual(
      (await b.claim('push', 10)).map((entry) => entry.id),
      ['p5'],
    );
  });

  test("a dead holder's entries are claimed by another instance once its lease ran out, with the parts sent", async () => {
    const [a, b] = await pair();
    await a.add(push('p1'));
    assert.equal((await a.claim('push', 10)).length, 1);
    a.recordProgress('push', 'p1', 2);
    await a.more('push', 'nobody');
    assert.deepEqual(await b.claim('push', 10), [], 'held');
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 50));
    const [taken] = await b.claim('push', 10);
    assert.equal(taken?.id, 'p1');
    assert.equal(taken?.partsSent, 2);
    assert.deepEqual(await a.more('push', 'alice'), undefined, 'the old holder learns it lost the key');
  });

  test('a holder renewing keeps its keys; a graceful release hands them over at once', async () => {
    const [a, b] = await pair();
    await a.add(push('p1'));
    await a.claim('push', 10);
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 3));
      assert.deepEqual(await a.renew('push', ['alice']), []);
    }
    assert.deepEqual(await b.claim('push', 10), []);
    await a.release('push', ['alice']);
    assert.deepEqual(
      (await b.claim('push', 10)).map((entry) => entry.id),
      ['p1'],
    );
    assert.deepEqual(await a.renew('push', ['alice']), ['alice']);
  });
});
