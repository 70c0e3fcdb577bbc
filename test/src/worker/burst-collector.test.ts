import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BurstMerging } from '../../../src/channel.js';
import type { NormalizedMessage } from '../../../src/message.js';
import type { AnswerJob } from '../../../src/worker/answer-dispatch.js';
import { BurstCollector } from '../../../src/worker/burst-collector.js';
import { wallClockMs } from '../../../src/worker/worker-protocol.js';

const job = (id: string, text: string, extra: Partial<AnswerJob> = {}): AnswerJob => ({
  kind: 'answer',
  id,
  sessionKey: 's',
  rawJson: JSON.stringify({ id, text }),
  receivedAt: wallClockMs(),
  attempts: 0,
  replayed: false,
  ...extra,
});
const revive = (queued: Pick<AnswerJob, 'rawJson'>): NormalizedMessage => {
  const { id, text } = JSON.parse(queued.rawJson) as { id: string; text: string };
  return { id, channel: 't', chatType: 'single', senderId: 'u', isAt: false, kind: 'text', text, time: new Date(), raw: {} };
};
const merging = (windowMs: number): BurstMerging => ({
  windowMs: () => windowMs,
  continues: (_last, next) => next.text !== 'stop',
  merge: (burst) => ({ ...burst[0]!, text: burst.map((message) => message.text).join('+') }),
});

describe('BurstCollector', () => {
  test('waits for the window after the last arrival, then folds in what continues the burst, and no further', async () => {
    const collector = new BurstCollector(merging(150), revive);
    const first = job('a', 'A');
    collector.queue(first);
    collector.starts(first);
    const started = Date.now();
    const gathering = collector.gather(revive(first), first, new AbortController().signal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const next of [job('b', 'B'), job('c', 'C'), job('d', 'stop'), job('e', 'E')]) collector.queue(next);
    const burst = await gathering;
    assert.ok(Date.now() - started >= 240, 'the window counts from the last arrival');
    assert.equal(burst.message.text, 'A+B+C');
    assert.deepEqual(burst.covers, ['b', 'c']);
    assert.equal(collector.starts(job('b', 'B')), true, 'covered: settled with the first');
    assert.equal(collector.starts(job('d', 'stop')), false, 'answered on its own');
  });

  test('store "redis": messages waiting outside the worker are looked at while the window is open, and folded in likewise', async () => {
    const elsewhere: AnswerJob[] = [];
    const asked: string[] = [];
    const waitingBehind = async (sessionKey: string, id: string) => {
      asked.push(`${sessionKey}/${id}`);
      return [...elsewhere];
    };
    const collector = new BurstCollector(merging(300), revive, waitingBehind);
    const first = job('a', 'A');
    collector.queue(first);
    collector.starts(first);
    const gathering = collector.gather(revive(first), first, new AbortController().signal);
    await new Promise((resolve) => setTimeout(resolve, 150));
    elsewhere.push(job('b', 'B'), job('c', 'stop'));
    const burst = await gathering;
    assert.equal(burst.message.text, 'A+B');
    assert.deepEqual(burst.covers, ['b']);
    assert.ok(asked.length >= 2 && asked.every((ask) => ask === 's/a'), asked.join());
    assert.equal(collector.starts(job('b', 'B')), true, 'covered, should it be given after all');
    assert.equal(collector.starts(job('c', 'stop')), false);
  });

  test("a message answered before (a replay with its answer) is never folded in; adopt marks a stored answer's covers", async () => {
    const collector = new BurstCollector(merging(10), revive);
    const first = job('a', 'A', { receivedAt: wallClockMs() - 1000 });
    collector.queue(first);
    collector.queue(job('b', 'B', { outcomeJson: '{}' }));
    collector.starts(first);
    assert.deepEqual((await collector.gather(revive(first), first, new AbortController().signal)).covers, []);
    collector.adopt('s', ['x']);
    assert.equal(collector.starts(job('x', 'X')), true);
  });

  test('once the runner drains, nothing waits and nothing is covered', async () => {
    const first = job('a', 'A');
    const collector = new BurstCollector(merging(60_000), revive);
    collector.queue(first);
    collector.queue(job('b', 'B'));
    const drain = new AbortController();
    setTimeout(() => drain.abort(), 20);
    const burst = await collector.gather(revive(first), first, drain.signal);
    assert.deepEqual(burst.covers, []);
  });
});
