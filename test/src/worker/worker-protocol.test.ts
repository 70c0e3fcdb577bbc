import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Outbox } from '../../../src/worker/worker-protocol.js';

describe('Outbox', () => {
  test('"tick": what a task and its promise continuations post goes as one batch, before the next turn', async () => {
    const sent: number[][] = [];
    const outbox = new Outbox<number>((items) => sent.push(items), 'tick');
    let nextTurn = false;
    setImmediate(() => (nextTurn = true));
    // As a group commit resolves its callbacks' writes: each continuation posts a job.
    const commits = [1, 2, 3].map((n) => Promise.resolve(n));
    await Promise.all(commits.map(async (commit) => outbox.post(await commit)));
    assert.deepEqual(sent, [[1, 2, 3]]);
    assert.equal(nextTurn, false, 'sent within the turn');
    outbox.post(4);
    await Promise.resolve();
    assert.deepEqual(sent, [[1, 2, 3], [4]]);
  });

  test('"turn": what one event-loop turn posts goes as one batch, in order', async () => {
    const sent: string[][] = [];
    const outbox = new Outbox<string>((items) => sent.push(items), 'turn');
    outbox.post('a');
    await Promise.resolve();
    outbox.post('b');
    assert.deepEqual(sent, [], 'nothing sent within the turn');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, [['a', 'b']]);
  });

  test('flush sends what waits at once, and the scheduled send then finds nothing', async () => {
    const sent: number[][] = [];
    const outbox = new Outbox<number>((items) => sent.push(items), 'turn');
    outbox.post(1);
    outbox.flush();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, [[1]]);
  });
});
