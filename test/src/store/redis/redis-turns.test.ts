import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { RedisTurns } from '../../../../src/store/redis/redis-turns.js';
import { redisForSuite } from '../../../support/redis-server.js';

const LEASE_MS = 300;
const opened: RedisTurns[] = [];
// Before the server's hooks, so the turns stop before their connections close.
after(() => {
  for (const turns of opened) turns.close();
});
const redis = redisForSuite();
let prefixes = 0;

async function pair(): Promise<[RedisTurns, RedisTurns]> {
  const prefix = `turns${++prefixes}:`;
  const make = (owner: string) => {
    const turns = new RedisTurns(redis.open(prefix, owner), owner, LEASE_MS);
    opened.push(turns);
    return turns;
  };
  const both: [RedisTurns, RedisTurns] = [make('a'), make('b')];
  await redis.ready();
  return both;
}

describe('redis turns (a real redis-server)', () => {
  test('one runs at a time; an ask meanwhile makes the runner go round once more, then the turn is free', async () => {
    const [a, b] = await pair();
    assert.equal(await a.begin('kf:x'), 'run');
    assert.equal(await b.begin('kf:x'), 'asked');
    assert.equal(await b.begin('kf:x'), 'asked');
    assert.equal(await a.end('kf:x'), true, 'asked meanwhile: another round');
    assert.equal(await b.begin('kf:x', { onlyIfAsked: true }), 'served', 'the runner took the ask');
    assert.equal(await a.end('kf:x'), false, 'nothing asked: given up');
    assert.equal(await b.begin('kf:x'), 'run');
    assert.equal(await a.begin('kf:y'), 'run', 'names are apart');
  });

  test('a long turn keeps its lease; a dead runner is replaced once it ran out, by the re-check of an ask', async () => {
    const [a, b] = await pair();
    assert.equal(await a.begin('kf:x'), 'run');
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 2));
    assert.equal(await b.begin('kf:x'), 'asked', 'renewed while running');
    a.close();
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 100));
    assert.equal(await b.begin('kf:x', { onlyIfAsked: true }), 'run', 'the ask left with a dead runner is served');
    assert.equal(await a.end('kf:x'), false, 'the old runner no longer holds it');
  });

  test('a failed turn given up: the next ask runs it', async () => {
    const [a, b] = await pair();
    assert.equal(await a.begin('kf:x'), 'run');
    await a.abandon('kf:x');
    assert.equal(await b.begin('kf:x'), 'run');
  });
});
