import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BOT_ID, contentOf } from '../../../support/aibot-ws-harness.js';
import { HOLDING, startTwoOnRedis } from '../../../support/aibot-ws-processes.js';

describe('AI bot long connection, two processes on one redis', () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test('one process holds the connection, no fight; SIGKILLed, the other takes it over within the lease and answers what it left', async () => {
    const { ws, openai, apps } = await startTwoOnRedis(cleanup);
    await sleep(2500);
    assert.equal(ws.events.filter((event) => event.event === 'subscribed').length, 1, 'one connection: the other process stands by');
    const holder = apps.find((app) => HOLDING.test(app.output()))!;
    const standby = apps.find((app) => app !== holder)!;
    assert.ok(holder && standby, 'one holder');

    openai.setLatency(5000);
    const pushed = ['one', 'two', 'three'].map((content, i) =>
      ws.pushMessage(BOT_ID, { chattype: 'single', from: { userid: `u${i + 1}` }, msgtype: 'text', text: { content } }),
    );
    await ws.waitFor(() => (holder.output().match(/AI bot message received/g) ?? []).length === 3, 'the three messages stored', 10_000);
    holder.child.kill('SIGKILL');
    await holder.exited();
    openai.setLatency(0);
    const killedAt = Date.now();
    await ws.waitFor(() => ws.subscribed(BOT_ID), 'the standby subscribed', 10_000);
    assert.ok(Date.now() - killedAt < 4000, `taken over within the lease (${Date.now() - killedAt} ms)`);
    assert.match(standby.output(), HOLDING);

    const sent = await ws.waitFor(() => ws.proactive().length >= 3 && ws.proactive(), 'three proactive answers', 15_000);
    assert.deepEqual(sent.map(contentOf).sort(), ['echo: one', 'echo: three', 'echo: two']);
    for (const reqId of pushed) assert.deepEqual(ws.replies(reqId), [], 'nothing on the dead req_ids');

    const reqId = ws.pushMessage(BOT_ID, { chattype: 'single', from: { userid: 'u1' }, msgtype: 'text', text: { content: 'four' } });
    const finished = await ws.waitFor(
      () => ws.replies(reqId).find((frame) => (frame.body?.stream as { finish?: boolean } | undefined)?.finish === true),
      'the answer on the new connection',
      10_000,
    );
    assert.equal(contentOf(finished), 'echo: four');
    await sleep(500);
    assert.equal(ws.proactive().length, 3, 'each answered once');
    assert.equal(ws.events.filter((event) => event.event === 'subscribed').length, 2, 'subscribed twice in all: no ping-pong');
  });
});
