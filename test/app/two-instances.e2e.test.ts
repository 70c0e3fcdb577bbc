import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../../fakes/fake-openai.js';
import { type FakeWeCom, type SentMessage, startFakeWeCom } from '../../fakes/fake-wecom.js';
import { AiBotClient, type AiBotResponse } from '../../fakes/wecom-client.js';
import { TestRedisServer } from '../support/redis-server.js';
import { AGENT_ID, CORP_ID, eventually, SECRET, startWeworktop, type WeworktopHarness } from '../support/weworktop-harness.js';

const BOT_TOKEN = 'QDG6eK';
const BOT_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const streamIdOf = (response: AiBotResponse): string => {
  assert.equal(response.status, 200, response.body);
  return (response.answer?.stream as { id: string }).id;
};
/** Polls like WeCom until the stream finishes. */
async function finishedContent(client: AiBotClient, id: string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const stream = (await client.refresh('zhangsan', id)).answer?.stream as { finish: boolean; content: string };
    if (stream.finish) return stream.content;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`stream ${id} never finished`);
}
const textOf = (message: SentMessage) => String((message.body.text as { content?: string } | undefined)?.content ?? '');
let prefixes = 0;

describe('two instances on one redis (store "redis")', () => {
  let redis: TestRedisServer;
  let wecom: FakeWeCom;
  let openai: FakeOpenAI;
  const running: WeworktopHarness[] = [];

  before(async () => {
    redis = await TestRedisServer.start();
    wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }], tokenTtlSeconds: 7200 });
    openai = await startFakeOpenAI();
  });
  after(async () => {
    for (const app of running) await app.stop();
    await wecom.close();
    await openai.close();
    await redis.stop();
  });

  /** Two apps sharing the fakes and a key prefix of this test's own. */
  async function pair(
    config: Record<string, unknown> = {},
    weworktop: Record<string, unknown> = {},
  ): Promise<[WeworktopHarness, WeworktopHarness]> {
    wecom.reset();
    openai.reset();
    const shared = { store: 'redis', redis_url: redis.url, redis_prefix: `e2e${++prefixes}:`, lease_seconds: 2, ...config };
    const a = await startWeworktop({ wecom, openai, config: shared, weworktop });
    const b = await startWeworktop({ wecom, openai, config: shared, weworktop });
    running.push(a, b);
    return [a, b];
  }

  test("WeCom's retry reaching the other instance is recognized: one LLM call, one reply", async () => {
    const [a, b] = await pair();
    assert.equal((await a.client.sendText('u1', 'hello', 'msg-retry-1')).status, 200);
    assert.equal((await b.client.sendText('u1', 'hello', 'msg-retry-1')).status, 200);
    await wecom.waitForSent(1, 5000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(wecom.sent.map(textOf), ['echo: hello']);
    assert.equal(openai.chatRequests().length, 1);
  });

  test("one user's messages spread over both instances are answered once each, in order, with one shared history", async () => {
    const [a, b] = await pair();
    openai.setLatency(60);
    for (let i = 1; i <= 6; i++) assert.equal((await (i % 2 ? a : b).client.sendText('u2', `m${i}`)).status, 200);
    await wecom.waitForSent(6, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(
      wecom.sent.map(textOf),
      Array.from({ length: 6 }, (_, i) => `echo: m${i + 1}`),
    );
    const last = openai.chatRequests().at(-1)!;
    assert.equal(last.messages.filter((message) => message.role === 'user').length, 6, 'the sixth question comes with the five before it');
  });

  test('a graceful stop hands the conversations it held to the other instance at once, not after lease_seconds', async () => {
    const [a, b] = await pair({ lease_seconds: 30 });
    openai.setLatency(300);
    for (let i = 1; i <= 3; i++) assert.equal((await a.client.sendText('u9', `s${i}`)).status, 200);
    await eventually(() => assert.ok(openai.chatRequests().length >= 1, 'the first answer is under way'), 5000);
    running.splice(running.indexOf(a), 1);
    await a.stop();
    const stoppedAt = Date.now();
    await wecom.waitForSent(3, 10_000);
    assert.ok(Date.now() - stoppedAt < 5000, `taken over at once (${Date.now() - stoppedAt} ms)`);
    assert.deepEqual(wecom.sent.map(textOf), ['echo: s1', 'echo: s2', 'echo: s3']);
    assert.ok(
      b.logs.some((line) => / answered id=/.test(line)),
      'b answered the rest',
    );
  });

  /** A pair with an AI bot on its callback URL, answering in every group. */
  const aiBotPair = () => pair({ group_name_white_list: ['ALL_GROUP'] }, { bot: { token: BOT_TOKEN, aes_key: BOT_KEY } });
  const client = (h: WeworktopHarness) =>
    new AiBotClient({ url: `${h.baseUrl}/wework_bot_callback`, token: BOT_TOKEN, encodingAesKey: BOT_KEY });

  test('AI bot callback URL: a poll reaching the other instance gets the stream, answered by whichever instance holds the conversation', async () => {
    const [a, b] = await aiBotPair();
    openai.setLatency(400);
    // The first message makes a hold the conversation; the second, taken in by b, is answered by a.
    const first = streamIdOf(await client(a).sendText('zhangsan', 'one', { responseUrl: wecom.responseUrl() }));
    const second = streamIdOf(await client(b).sendText('zhangsan', 'two', { msgId: 'aibot-two', responseUrl: wecom.responseUrl() }));
    const retried = streamIdOf(await client(a).sendText('zhangsan', 'two', { msgId: 'aibot-two', responseUrl: wecom.responseUrl() }));
    assert.equal(retried, second, "WeCom's retry of the second message on the other instance gets its stream");
    assert.equal(await finishedContent(client(b), first), 'echo: one');
    assert.equal(await finishedContent(client(a), second), 'echo: two');
    // An answer settles only once WeCom fetched it: the conversation's next message waits for that confirmation.
    const third = streamIdOf(await client(b).sendText('zhangsan', 'three', { responseUrl: wecom.responseUrl() }));
    assert.equal(await finishedContent(client(a), third), 'echo: three');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(openai.chatRequests().length, 3, 'one LLM call per message');
    assert.equal(wecom.botResponses.length, 0, 'fetched, so confirmed: nothing sent again');
    assert.ok(!a.logs.concat(b.logs).some((line) => line.includes('delivery not confirmed')), 'confirmed across instances');
  });

  test('AI bot callback URL: a fourth message while three are in flight gets "still answering", whichever instance takes it', async () => {
    const [a, b] = await aiBotPair();
    openai.setLatency(600);
    const streams = [];
    for (const [index, h] of [a, b, a].entries()) streams.push(streamIdOf(await client(h).sendText('zhangsan', `q${index}`)));
    const fourth = (await client(b).sendText('zhangsan', 'q3')).answer?.stream as { finish: boolean; content: string };
    assert.equal(fourth.finish, true);
    assert.match(fourth.content, /还在回答/);
    const other = (await client(b).sendText('lisi', 'mine')).answer?.stream as { finish: boolean };
    assert.equal(other.finish, false, 'the limit is per user');
    for (const [index, id] of streams.entries()) assert.equal(await finishedContent(client(a), id), `echo: q${index}`);
    // The three finished: the next one is answered again.
    const fifth = (await client(a).sendText('zhangsan', 'q4')).answer?.stream as { id: string; finish: boolean };
    assert.equal(fifth.finish, false);
    assert.equal(await finishedContent(client(b), fifth.id), 'echo: q4');
    assert.equal(
      openai.chatRequests().filter((request) => JSON.stringify(request).includes('q3')).length,
      0,
      'the refused one never reached the LLM',
    );
  });

  test('redis down: callbacks get 503 and /readyz 503, one log line; once it is back the retried message is answered', async () => {
    const [a] = await pair();
    await redis.kill();
    await eventually(async () => assert.equal((await fetch(`${a.baseUrl}/readyz`)).status, 503, 'readyz'), 5000);
    const refused = await a.client.sendText('u3', 'while down', 'msg-down-1');
    assert.equal(refused.status, 503);
    assert.equal((await a.client.sendText('u3', 'while down', 'msg-down-1')).status, 503);
    assert.equal(
      a.logs.filter((line) => line.includes('redis unavailable: callbacks get 503')).length,
      1,
      `said once: ${a.logs.filter((line) => /redis/i.test(line)).join('')}`,
    );
    await redis.restart();
    await eventually(async () => assert.equal((await fetch(`${a.baseUrl}/readyz`)).status, 200, 'readyz'), 10_000);
    assert.equal((await a.client.sendText('u3', 'while down', 'msg-down-1')).status, 200);
    await wecom.waitForSent(1, 5000);
    assert.deepEqual(wecom.sent.map(textOf), ['echo: while down']);
    assert.ok(
      a.logs.some((line) => line.includes('redis is back')),
      'said it is back',
    );
  });
});
