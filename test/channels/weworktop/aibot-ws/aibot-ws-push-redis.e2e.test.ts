import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HOLDING, startTwoOnRedis } from '../../../support/aibot-ws-processes.js';
import { API_TOKEN, postPush, pushStatus } from '../../../support/push-client.js';
import { eventually } from '../../../support/weworktop-harness.js';

describe('the push API to an AI bot chat, two processes on one redis', () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test("pushes posted to either process go out on the one connection, each once; after a kill, on the next holder's", async () => {
    const { ws, apps } = await startTwoOnRedis(cleanup, { api_token: API_TOKEN });
    await ws.waitFor(() => apps.some((app) => HOLDING.test(app.output())) || undefined, 'a holder', 5000);
    const holder = apps.find((app) => HOLDING.test(app.output()))!;
    const standby = apps.find((app) => app !== holder)!;

    // Each chat is its own target (order key): the process that stores a push claims it first.
    const chats = ['wrkChatA', 'wrkChatB', 'wrkChatC', 'wrkChatD'];
    const ids: string[] = [];
    for (const [i, chat] of chats.entries()) {
      const via = i % 2 === 0 ? standby : holder;
      const answer = await postPush(`http://127.0.0.1:${via.port}`, { to: { chat }, text: `push ${i}` });
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      ids.push(String(answer.body.id));
    }
    const sent = await ws.waitFor(() => ws.proactive().length >= chats.length && ws.proactive(), 'four pushes sent', 8000);
    assert.deepEqual(sent.map((frame) => String(frame.body?.chatid)).sort(), chats);
    // The holder marks a push sent just after WeCom's ack: read on the other process, soon.
    for (const id of ids)
      await eventually(async () => {
        const status = await pushStatus(`http://127.0.0.1:${standby.port}`, id);
        assert.equal(status.body.status, 'sent', JSON.stringify(status.body));
      });
    await sleep(500);
    assert.equal(ws.proactive().length, chats.length, 'each sent once');
    assert.doesNotMatch(standby.output(), /not sent, tried again later/, 'the standby did not try them');

    // The holder dies: a push stored meanwhile waits for the bot's next holder, then goes once.
    holder.child.kill('SIGKILL');
    await holder.exited();
    const late = await postPush(`http://127.0.0.1:${standby.port}`, { to: { chat: 'wrkChatE' }, text: 'after the kill' });
    assert.equal(late.status, 202);
    const resent = await ws.waitFor(() => ws.proactive().length > chats.length && ws.proactive(), 'the push after the takeover', 10_000);
    assert.equal(String(resent.at(-1)?.body?.chatid), 'wrkChatE');
    assert.match(standby.output(), HOLDING);
    await sleep(500);
    assert.equal(ws.proactive().length, chats.length + 1, 'sent once');
  });
});
