import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lastUserText } from '../../../../fakes/fake-openai.js';
import { KF, startKf } from '../../../support/kf-harness.js';
import { eventually } from '../../../support/weworktop-harness.js';

const texts = (sent: Array<{ touser: string; body: Record<string, unknown> }>, customer: string) =>
  sent.filter((message) => message.touser === customer).map((message) => (message.body.text as { content: string }).content);

describe('微信客服: pulling messages (kf/sync_msg)', () => {
  test('a batch of 7 messages from 3 customers, over pages and an empty page with has_more: each answered once, in order per customer', async () => {
    const kf = await startKf();
    try {
      kf.wecom.kf.setPageSize(3);
      kf.wecom.kf.emptyPageNext(KF);
      const said: Record<string, string[]> = { wmAlice: ['a1', 'a2', 'a3'], wmBob: ['b1', 'b2'], wmCarol: ['c1', 'c2'] };
      for (const [index, text] of ['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'c2'].entries())
        kf.wecom.kf.customerSays(KF, `wm${{ a: 'Alice', b: 'Bob', c: 'Carol' }[text[0] as 'a' | 'b' | 'c']}`, text, {
          sendTime: Math.floor(Date.now() / 1000) + index,
        });
      // WeCom sends a callback per message; the pull they wake runs once at a time and goes round again.
      const acks = await Promise.all([kf.callback(), kf.callback(), kf.callback()]);
      assert.deepEqual(
        acks.map((ack) => ack.status),
        [200, 200, 200],
      );
      await kf.wecom.waitForKfSent(7, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(kf.wecom.kf.sent.length, 7, 'nothing answered twice');
      for (const [customer, lines] of Object.entries(said)) {
        assert.deepEqual(
          texts(kf.wecom.kf.sent, customer),
          lines.map((line) => `echo: ${line}`),
          `${customer} in order`,
        );
      }
      const msgids = kf.wecom.kf.sent.map((message) => message.msgid);
      assert.equal(new Set(msgids).size, 7, 'a msgid of its own for every reply');
      assert.ok(
        msgids.every((msgid) => msgid.length <= 32 && /^[0-9a-zA-Z_-]+$/.test(msgid)),
        'msgids fit send_msg',
      );
      const cursors = kf.wecom.kf.syncCalls.map((call) => call.cursor);
      assert.equal(cursors[0], undefined, 'the first pull has no cursor');
      assert.ok(cursors.slice(1).every(Boolean), 'every later pull goes on from a cursor');
      assert.ok(kf.wecom.kf.syncCalls.length >= 4, 'the empty page with has_more did not stop the pull');
    } finally {
      await kf.stop();
    }
  });

  test('the cursor is persisted: after a restart nothing is answered twice and nothing is skipped', async () => {
    const first = await startKf();
    const { wecom, openai, dataDir } = first;
    try {
      await first.say('wmAlice', '第一条');
      await wecom.waitForKfSent(1, 5000);
      await first.stopApp();
      // While the app is down: WeCom's callbacks fail, the messages wait in sync_msg.
      wecom.kf.customerSays(KF, 'wmAlice', '停机时发的');
      wecom.kf.customerSays(KF, 'wmBob', '也是停机时');
      const second = await startKf({ wecom, openai, dataDir });
      try {
        await wecom.waitForKfSent(3, 10_000);
        await second.callback();
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(texts(wecom.kf.sent, 'wmAlice'), ['echo: 第一条', 'echo: 停机时发的']);
        assert.deepEqual(texts(wecom.kf.sent, 'wmBob'), ['echo: 也是停机时']);
        assert.equal(openai.chatRequests().length, 3, 'the LLM asked once per message');
        const afterRestart = wecom.kf.syncCalls.filter((call) => call.at >= wecom.kf.sent[0]!.at);
        assert.ok(afterRestart.length > 0 && afterRestart.every((call) => call.cursor), 'the restart pulls from the saved cursor');
      } finally {
        await second.stopApp();
      }
    } finally {
      await wecom.close();
      await openai.close();
    }
  });

  test("a cold start does not answer WeCom's 3-day backlog, and says how many it skipped", async () => {
    const first = await startKf({ kf: { enabled: false } });
    const { wecom, openai } = first;
    await first.stopApp();
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    wecom.kf.customerSays(KF, 'wmOld', '昨天的问题', { sendTime: hourAgo });
    wecom.kf.customerSays(KF, 'wmOld', '还有一个', { sendTime: hourAgo + 5 });
    wecom.kf.enterSession(KF, 'wmOld', { sendTime: hourAgo + 6 });
    const kf = await startKf({ wecom, openai });
    try {
      await kf.say('wmNew', '现在的问题');
      await wecom.waitForKfSent(1, 5000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(
        wecom.kf.sent.map((message) => message.touser),
        ['wmNew'],
      );
      assert.equal(openai.chatRequests().length, 1);
      assert.equal(kf.lines(/cold start: 3 message\(s\) sent before kf was first enabled here skipped/).length, 1, kf.logs.join('\n'));
    } finally {
      await kf.stop();
    }
  });

  test('a burst within merge_window_ms is answered once with all of it, and every message of it is settled', async () => {
    const kf = await startKf({ kf: { merge_window_ms: 800 } });
    try {
      const now = Math.floor(Date.now() / 1000);
      for (const text of ['你好', '我想问一下', '退货怎么办']) {
        kf.wecom.kf.customerSays(KF, 'wmAlice', text, { sendTime: now });
        await kf.callback();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await kf.wecom.waitForKfSent(1, 5000);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      assert.equal(kf.wecom.kf.sent.length, 1, 'one answer for the burst');
      assert.equal(kf.openai.chatRequests().length, 1, 'the LLM asked once');
      assert.equal(lastUserText(kf.openai.chatRequests()[0]!), '你好\n我想问一下\n退货怎么办');
      assert.equal(kf.lines(/answered .*burst=3/).length, 1, kf.logs.join('\n'));
      // Settled, all three: a restart replays none of them.
      const { wecom, openai, dataDir } = kf;
      await kf.stopApp();
      const again = await startKf({ wecom, openai, dataDir });
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(again.lines('replaying messages left pending').length, 0, again.logs.join('\n'));
      assert.equal(wecom.kf.sent.length, 1);
      await again.stop();
    } catch (error) {
      await kf.stop().catch(() => undefined);
      throw error;
    }
  });

  test('an expired callback token: the pull goes on with the cursor alone', async () => {
    const kf = await startKf();
    try {
      kf.wecom.kf.customerSays(KF, 'wmAlice', '你好');
      const stale = kf.wecom.kf.callbackToken(KF, 1);
      await new Promise((resolve) => setTimeout(resolve, 10));
      await kf.callback(stale);
      await kf.wecom.waitForKfSent(1, 5000);
      const withStale = kf.wecom.kf.syncCalls.filter((call) => call.token === stale);
      assert.equal(withStale.length, 1, 'the stale token is tried once');
      assert.ok(
        kf.wecom.kf.syncCalls.some((call) => call.token === undefined),
        'then the pull goes without it',
      );
      assert.equal(kf.lines('sync_msg refused the callback token').length, 1);
    } finally {
      await kf.stop();
    }
  });

  test('an outage of sync_msg is retried with backoff; the callback was acknowledged at once', async () => {
    const kf = await startKf({ config: {} });
    try {
      kf.wecom.injectError('kf/sync_msg', { errcode: -1, errmsg: 'system busy', times: 2 });
      kf.wecom.kf.customerSays(KF, 'wmAlice', '在吗');
      const started = Date.now();
      const ack = await kf.callback();
      assert.equal(ack.status, 200);
      assert.ok(Date.now() - started < 1000, 'the ack does not wait on sync_msg');
      await kf.wecom.waitForKfSent(1, 15_000);
      await eventually(() => assert.ok(kf.lines('pulling messages failed; will retry').length >= 1, 'the retry is logged'));
    } finally {
      await kf.stop();
    }
  });
});
