import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../../../src/logger.js';
import { SETTLED_RETENTION_MS } from '../../../../src/store/inbox.js';
import { RedisInbox } from '../../../../src/store/redis/redis-inbox.js';
import { SessionLeases } from '../../../../src/store/redis/session-leases.js';
import { redisForSuite } from '../../../support/redis-server.js';

const logger = createLogger({ level: 'silent' });
const LEASE_MS = 400;
let prefixes = 0;
const redis = redisForSuite();

/** One instance's view: its inbox and leases, under a prefix of the test's own. */
function instance(owner: string, prefix: string) {
  const connection = redis.open(prefix, owner);
  const settled: Array<[string, string | undefined, string | undefined]> = [];
  const inbox = new RedisInbox(connection, owner, LEASE_MS, logger);
  inbox.listen((id, session, next) => settled.push([id, session, next]));
  return { connection, inbox, leases: new SessionLeases(connection, owner, LEASE_MS), settled };
}

const entry = (id: string, sessionKey = 'u1') => ({
  id,
  channel: 'weworktop',
  sessionKey,
  rawJson: JSON.stringify({ n: id }),
  receivedAt: 1,
});
const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(check());
};

/** Two instances under a fresh prefix of the test's own, once both are connected. */
async function twoInstances() {
  const prefix = `t${++prefixes}:`;
  const a = instance('a', prefix);
  const b = instance('b', prefix);
  await until(() => a.connection.available() && b.connection.available());
  return { prefix, a, b };
}

describe('redis inbox (a real redis-server)', () => {
  test('ADMIT: a retry reaching another instance is a duplicate; the dedupe mark has a TTL', async () => {
    const { prefix, a, b } = await twoInstances();
    assert.equal(await a.inbox.add(entry('m1')), true);
    assert.equal(await b.inbox.add(entry('m1')), false);
    assert.equal(await b.inbox.addSettled('m1', 'weworktop', 1), false);
    assert.equal(await b.inbox.addSettled('m2', 'weworktop', 1), true);
    assert.equal(await a.inbox.add(entry('m2')), false);
    const ttl = await a.connection.redis.pttl(`${prefix}seen:m1`);
    assert.ok(ttl > 0 && ttl <= SETTLED_RETENTION_MS, `ttl ${ttl}`);
    assert.deepEqual(await a.connection.redis.lrange(`${prefix}queue:u1`, 0, -1), ['m1']);
    assert.deepEqual(await a.connection.redis.smembers(`${prefix}ready`), ['u1']);
  });

  test("waitingBehind: the conversation's messages stored after one, in order, as any instance stored them", async () => {
    const { a, b } = await twoInstances();
    await a.inbox.add(entry('m1'));
    await b.inbox.add(entry('m2'));
    await a.inbox.add(entry('other', 'u2'));
    await b.inbox.add(entry('m3'));
    assert.deepEqual(
      (await a.inbox.waitingBehind('u1', 'm1')).map((waiting) => waiting.id),
      ['m2', 'm3'],
    );
    assert.deepEqual(
      (await a.inbox.waitingBehind('u1', 'm2')).map((waiting) => waiting.id),
      ['m3'],
    );
    assert.equal((await a.inbox.waitingBehind('u1', 'm1'))[0]?.rawJson, JSON.stringify({ n: 'm2' }));
    // A message no longer queued (settled meanwhile, by another instance) has nothing behind it here.
    assert.deepEqual(await a.inbox.waitingBehind('u1', 'gone'), []);
  });

  test('entry, outcome, progress and attempts are read back by any instance', async () => {
    const { a, b } = await twoInstances();
    await a.inbox.add(entry('m1'));
    await a.inbox.saveOutcome('m1', '{"replies":[]}');
    a.inbox.recordProgress('m1', 2);
    a.inbox.recordAttempt('m1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(await b.inbox.entry('m1'), {
      ...entry('m1'),
      attempts: 1,
      outcomeJson: '{"replies":[]}',
      partsSent: 2,
    });
    assert.deepEqual(
      (await b.inbox.pending('weworktop')).map((e) => e.id),
      ['m1'],
    );
    assert.equal(await b.inbox.entry('never'), undefined);
  });

  test('CLAIM/SETTLE: one holder per conversation, in order; the last settle releases it', async () => {
    const { prefix, a, b } = await twoInstances();
    for (const id of ['m1', 'm2']) await a.inbox.add(entry(id));
    assert.equal(await a.leases.claim('u1'), 'm1');
    assert.equal(await b.leases.claim('u1'), undefined, 'held by a');
    a.inbox.markDone('m1');
    await until(() => a.settled.length === 1);
    assert.deepEqual(a.settled[0], ['m1', 'u1', 'm2']);
    await b.inbox.add(entry('m3'));
    a.inbox.markFailed('m2', 'permanent');
    await until(() => a.settled.length === 2);
    assert.deepEqual(a.settled[1], ['m2', 'u1', 'm3'], 'a message queued on another instance follows');
    a.inbox.markDone('m3');
    await until(() => a.settled.length === 3);
    assert.deepEqual(a.settled[2], ['m3', 'u1', undefined]);
    assert.equal(await a.connection.redis.exists(`${prefix}lease:u1`, `${prefix}msg:m1`, `${prefix}queue:u1`), 0);
    assert.deepEqual(await a.connection.redis.smembers(`${prefix}ready`), []);
    assert.equal(await b.inbox.add(entry('m3')), false, 'a settled id stays seen');
  });

  test('a lease not renewed expires and another instance takes the conversation over; RENEW keeps it', async () => {
    const { prefix, a, b } = await twoInstances();
    await a.inbox.add(entry('m1', 'u2'));
    assert.equal(await a.leases.claim('u2'), 'm1');
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 2));
    assert.equal(await a.leases.renew('u2'), true);
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 2 + 50));
    assert.equal(await b.leases.claim('u2'), undefined, 'renewed: still held');
    assert.deepEqual(await b.leases.waiting(10), ['u2']);
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 50));
    assert.equal(await b.leases.claim('u2'), 'm1', 'expired: b takes it');
    assert.equal(await a.leases.renew('u2'), false, 'a lost it');
    a.inbox.markDone('m1');
    await until(() => a.settled.length === 1);
    assert.deepEqual(a.settled[0], ['m1', 'u2', undefined], 'a settle by a non-holder moves nothing on');
    assert.equal(await b.connection.redis.exists(`${prefix}lease:u2`), 1, "b's lease stays");
  });

  test('CLAIM of a conversation with nothing waiting clears it from ready', async () => {
    const prefix = `t${++prefixes}:`;
    const a = instance('a', prefix);
    await until(() => a.connection.available());
    await a.connection.redis.sadd(`${prefix}ready`, 'ghost');
    assert.equal(await a.leases.claim('ghost'), undefined);
    assert.deepEqual(await a.connection.redis.smembers(`${prefix}ready`), []);
    assert.equal(await a.connection.redis.exists(`${prefix}lease:ghost`), 0);
  });
});
