import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeForwardReceiver, startFakeForwardReceiver } from '../../fakes/fake-forward-receiver.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../fakes/fake-openai.js';
import { type FakeWeCom, type SentMessage, startFakeWeCom } from '../../fakes/fake-wecom.js';
import { API_TOKEN, postPush, pushStatus } from '../support/push-client.js';
import { TestRedisServer } from '../support/redis-server.js';
import { AGENT_ID, CORP_ID, eventually, SECRET, startWeworktop, type WeworktopHarness } from '../support/weworktop-harness.js';

const FORWARD_SECRET = 'forward-secret-two-instances-0001';
const textOf = (message: SentMessage) => String((message.body.text as { content?: string } | undefined)?.content ?? '');
let prefixes = 0;

describe('the push API and the bridge on two instances sharing one redis', () => {
  let redis: TestRedisServer;
  let wecom: FakeWeCom;
  let openai: FakeOpenAI;
  let site: FakeForwardReceiver;
  const running: WeworktopHarness[] = [];

  before(async () => {
    redis = await TestRedisServer.start();
    wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }], tokenTtlSeconds: 7200 });
    openai = await startFakeOpenAI();
    site = await startFakeForwardReceiver(FORWARD_SECRET);
  });
  after(async () => {
    for (const app of running) await app.stop();
    await wecom.close();
    await openai.close();
    await site.close();
    await redis.stop();
  });

  async function pair(config: Record<string, unknown> = {}): Promise<[WeworktopHarness, WeworktopHarness]> {
    wecom.reset();
    const shared = {
      store: 'redis',
      redis_url: redis.url,
      redis_prefix: `push${++prefixes}:`,
      lease_seconds: 2,
      api_token: API_TOKEN,
      retry_delay_ms: 20,
      ...config,
    };
    const a = await startWeworktop({ wecom, openai, config: shared });
    const b = await startWeworktop({ wecom, openai, config: shared });
    running.push(a, b);
    return [a, b];
  }

  test('a push on A: its status on B, the same idempotency key on B gives its id, sent once', async () => {
    const [a, b] = await pair();
    const first = await postPush(a.baseUrl, { to: { user: 'alice' }, text: 'backup done', idempotency_key: 'job-1' });
    assert.equal(first.status, 202);
    const again = await postPush(b.baseUrl, { to: { user: 'alice' }, text: 'backup done', idempotency_key: 'job-1' });
    assert.equal(again.body.id, first.body.id, 'the key is known on the other instance');
    await eventually(async () => assert.equal((await pushStatus(b.baseUrl, String(first.body.id))).body.status, 'sent', 'sent, seen on B'));
    assert.equal((await pushStatus(a.baseUrl, String(first.body.id))).body.status, 'sent');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(wecom.sent.map(textOf), ['backup done']);
  });

  test("one user's pushes spread over both instances go out once each, in order", async () => {
    const [a, b] = await pair();
    wecom.setLatency('message/send', 30);
    for (let i = 1; i <= 8; i++)
      assert.equal((await postPush(i % 2 ? a.baseUrl : b.baseUrl, { to: { user: 'bob' }, text: `n${i}` })).status, 202);
    await wecom.waitForSent(8, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    wecom.setLatency('message/send', 0);
    assert.deepEqual(
      wecom.sent.map(textOf),
      Array.from({ length: 8 }, (_, i) => `n${i + 1}`),
    );
  });

  test('messages received on both instances are forwarded once each, in order per sender', async () => {
    const [a, b] = await pair({ bot_type: 'none', retry_delay_ms: 300, forward: { url: site.url, secret: FORWARD_SECRET } });
    const before = site.received().length;
    // The first POST fails: the sender's next messages wait behind its retry, whichever instance took them.
    site.failNext(1, 503);
    for (let i = 1; i <= 6; i++) assert.equal((await (i % 2 ? a : b).client.sendText('carol', `f${i}`)).status, 200);
    const received = (await site.waitForReceived(before + 6, 10_000)).slice(before);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(
      received.map((body) => body.text),
      Array.from({ length: 6 }, (_, i) => `f${i + 1}`),
    );
    assert.equal(site.deliveries.filter((delivery) => String(delivery.body.text).startsWith('f')).length, 7, 'each posted once, f1 twice');
  });
});
