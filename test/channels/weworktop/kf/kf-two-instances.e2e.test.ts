import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { lastUserText } from '../../../../fakes/fake-openai.js';
import { KF, type KfHarness, startKf } from '../../../support/kf-harness.js';
import { TestRedisServer } from '../../../support/redis-server.js';

const texts = (sent: Array<{ touser: string; body: Record<string, unknown> }>, customer: string) =>
  sent.filter((message) => message.touser === customer).map((message) => (message.body.text as { content: string }).content);
/** The fake's cursor is the log index a page starts at; no cursor is the start of the log (all recent here). */
const startOf = (cursor: string | undefined) =>
  cursor === undefined ? 0 : Number(Buffer.from(cursor, 'base64url').toString().split(':')[1]);

let redis: TestRedisServer;
before(async () => {
  redis = await TestRedisServer.start();
});
after(() => redis.stop());

test('微信客服 on two instances: callbacks on both, one pull at a time from one cursor, each message answered once, in order', async () => {
  const config = { store: 'redis', redis_url: redis.url, redis_prefix: 'kf2:', lease_seconds: 2, retry_delay_ms: 50 };
  const a = await startKf({ config });
  let b: KfHarness | undefined;
  try {
    b = await startKf({ config, wecom: a.wecom, openai: a.openai });
    const fake = a.wecom.kf;
    fake.setPageSize(2);
    // Slow pulls: callbacks reaching the other instance meanwhile must not start a second pull.
    a.wecom.setLatency('kf/sync_msg', 80);
    // Both started: each start pulled the (empty) account; what counts is what comes after.
    const before = fake.syncCalls.length;
    const said = { wmAlice: ['a1', 'a2', 'a3'], wmBob: ['b1', 'b2', 'b3'] };
    for (const [index, text] of ['a1', 'b1', 'a2', 'b2', 'a3', 'b3'].entries())
      fake.customerSays(KF, text.startsWith('a') ? 'wmAlice' : 'wmBob', text, { sendTime: Math.floor(Date.now() / 1000) + index });
    const acks = await Promise.all([a.callback(), b.callback(), a.callback(), b.callback()]);
    assert.deepEqual(
      acks.map((ack) => ack.status),
      [200, 200, 200, 200],
    );
    await a.wecom.waitForKfSent(6, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const [customer, lines] of Object.entries(said))
      assert.deepEqual(
        texts(fake.sent, customer),
        lines.map((line) => `echo: ${line}`),
        `${customer}: once each, in order`,
      );
    const pages = fake.syncCalls
      .slice(before)
      .map((call) => startOf(call.cursor))
      .filter((start) => start < 6);
    assert.deepEqual(pages, [0, 2, 4], `each page pulled once, by one instance at a time: ${JSON.stringify(fake.syncCalls)}`);
    // A message said later, its callback on B only: pulled from the shared cursor, not from the start.
    fake.customerSays(KF, 'wmAlice', 'a4');
    await b.callback();
    await a.wecom.waitForKfSent(7, 10_000);
    assert.deepEqual(texts(fake.sent, 'wmAlice').at(-1), 'echo: a4');
    assert.equal(fake.syncCalls.filter((call) => call.cursor === undefined).length, 1, 'one cold start in all, the cursor shared');
  } finally {
    await b?.stopApp();
    await a.stop();
  }
});

test('微信客服 on two instances: a burst pulled by both is answered once, by the holder of the conversation, and all of it settled', async () => {
  const config = { store: 'redis', redis_url: redis.url, redis_prefix: 'kfburst:', lease_seconds: 2, retry_delay_ms: 50 };
  const a = await startKf({ config, kf: { merge_window_ms: 800 } });
  let b: KfHarness | undefined;
  const client = new Redis(redis.url);
  try {
    b = await startKf({ config, kf: { merge_window_ms: 800 }, wecom: a.wecom, openai: a.openai });
    const now = Math.floor(Date.now() / 1000);
    // Each message's callback on the other instance: whichever pulls it, the conversation is held by one.
    for (const [index, text] of ['你好', '我想问一下', '退货怎么办'].entries()) {
      a.wecom.kf.customerSays(KF, 'wmCarol', text, { sendTime: now });
      await (index % 2 === 0 ? a : b).callback();
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await a.wecom.waitForKfSent(1, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.deepEqual(texts(a.wecom.kf.sent, 'wmCarol'), ['echo: 你好\n我想问一下\n退货怎么办'], 'one answer for the burst');
    assert.equal(a.openai.chatRequests().length, 1, 'the LLM asked once');
    assert.equal(lastUserText(a.openai.chatRequests()[0]!), '你好\n我想问一下\n退货怎么办');
    assert.equal([...a.lines(/answered .*burst=3/), ...b.lines(/answered .*burst=3/)].length, 1, [...a.logs, ...b.logs].join('\n'));
    const received = (harness: KfHarness) => harness.lines(/message received .*from=wmCarol/).length;
    assert.deepEqual([received(a), received(b)], [2, 1], 'the burst came in on both instances');
    assert.deepEqual(await client.keys('kfburst:queue:*'), [], 'nothing left waiting in Redis');
    assert.deepEqual(await client.keys('kfburst:msg:*'), [], 'every message of the burst settled');
  } finally {
    client.disconnect();
    await b?.stopApp();
    await a.stop();
  }
});

test("微信客服: a callback while a dead process holds the account's pull turn is pulled once that turn ran out", async () => {
  const config = { store: 'redis', redis_url: redis.url, redis_prefix: 'kfdead:', lease_seconds: 1, retry_delay_ms: 50 };
  const b = await startKf({ config });
  const client = new Redis(redis.url);
  try {
    // The start's own pull of the account is over first.
    while (b.wecom.kf.syncCalls.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A process that began a pull of the account and was SIGKILLed: its turn's lease runs out in 1 s.
    await client.set(`kfdead:turn:kf:${KF}`, 'dead-process', 'PX', 1000);
    const before = b.wecom.kf.syncCalls.length;
    b.wecom.kf.customerSays(KF, 'wmDave', 'd1');
    assert.equal((await b.callback()).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(b.wecom.kf.syncCalls.length, before, 'not pulled while the other holds the turn');
    await b.wecom.waitForKfSent(1, 10_000);
    assert.deepEqual(texts(b.wecom.kf.sent, 'wmDave'), ['echo: d1']);
  } finally {
    client.disconnect();
    await b.stop();
  }
});
