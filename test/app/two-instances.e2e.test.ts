import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai.js';
import { type FakeWeCom, type SentMessage, startFakeWeCom } from '../fakes/fake-wecom.js';
import { TestRedisServer } from '../support/redis-server.js';
import { AGENT_ID, CORP_ID, eventually, SECRET, startWeworktop, type WeworktopHarness } from '../support/weworktop-harness.js';

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
  async function pair(config: Record<string, unknown> = {}): Promise<[WeworktopHarness, WeworktopHarness]> {
    wecom.reset();
    openai.reset();
    const shared = { store: 'redis', redis_url: redis.url, redis_prefix: `e2e${++prefixes}:`, lease_seconds: 2, ...config };
    const a = await startWeworktop({ wecom, openai, config: shared });
    const b = await startWeworktop({ wecom, openai, config: shared });
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
