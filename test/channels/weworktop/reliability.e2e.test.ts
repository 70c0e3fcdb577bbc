import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FakeOpenAI, startFakeOpenAI } from '../../../fakes/fake-openai.js';
import { type FakeWeCom, type SentMessage, startFakeWeCom } from '../../../fakes/fake-wecom.js';
import { AiBotClient } from '../../../fakes/wecom-client.js';
import { userMessages } from '../../../src/pipeline/user-messages.js';
import {
  AGENT_ID,
  CORP_ID,
  eventually,
  SECRET,
  startWeworktop,
  type WeworktopHarness,
  type WeworktopHarnessOptions,
} from '../../support/weworktop-harness.js';

const textOf = (message: SentMessage) => (message.body[message.msgtype] as { content?: string })?.content ?? `<${message.msgtype}>`;

const running: WeworktopHarness[] = [];
const fakes: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const harness of running.splice(0)) await harness.stop();
  for (const fake of fakes.splice(0)) await fake.close();
});

async function start(options: WeworktopHarnessOptions = {}): Promise<WeworktopHarness> {
  const harness = await startWeworktop(options);
  running.push(harness);
  return harness;
}

/** Fakes that outlive one app instance, for restarts. */
async function sharedFakes(): Promise<{ wecom: FakeWeCom; openai: FakeOpenAI }> {
  const wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }], tokenTtlSeconds: 7200 });
  const openai = await startFakeOpenAI();
  fakes.push(wecom, openai);
  return { wecom, openai };
}

async function stopOne(harness: WeworktopHarness): Promise<void> {
  running.splice(running.indexOf(harness), 1);
  await harness.stop();
}

describe('durable inbox', () => {
  test('a message acked but not answered before a shutdown is answered after the restart', async () => {
    const { wecom, openai } = await sharedFakes();
    const first = await start({ wecom, openai, config: { shutdown_timeout: 0 } });
    openai.setLatency(5000);
    assert.equal((await first.client.sendText('zhangsan', '重启前的问题')).status, 200);
    await eventually(() => assert.equal(openai.chatRequests().length, 1));
    await stopOne(first);
    assert.equal(wecom.sent.length, 0, 'not answered before the stop');

    openai.setLatency(0);
    const second = await start({ wecom, openai, dataDir: first.dataDir });
    const [reply] = await wecom.waitForSent(1, 5000);
    assert.equal(textOf(reply!), 'echo: 重启前的问题');
    assert.ok(
      second.logs.some((line) => line.includes('replaying messages left pending by the last run') && line.includes('count=1')),
      second.logs.join(''),
    );
  });

  test('an AI bot group message cut off by a shutdown is answered after the restart in its stream, which WeCom still polls', async () => {
    const { wecom, openai } = await sharedFakes();
    const bot = { token: 'QDG6eK', aes_key: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' };
    const options = { wecom, openai, config: { group_name_white_list: ['ALL_GROUP'], shutdown_timeout: 0 }, weworktop: { bot } };
    const first = await start(options);
    openai.setLatency(5000);
    const client = new AiBotClient({ url: `${first.baseUrl}/wework_bot_callback`, token: bot.token, encodingAesKey: bot.aes_key });
    const response = await client.sendText('zhangsan', '@bot 重启也要回答', {
      chatId: 'wrkSFfCgAAgroup0001',
      responseUrl: wecom.responseUrl(),
    });
    assert.equal(response.status, 200);
    await eventually(() => assert.equal(openai.chatRequests().length, 1));
    await stopOne(first);

    openai.setLatency(0);
    const second = await start({ ...options, dataDir: first.dataDir });
    const streamId = (response.answer!.stream as { id: string }).id;
    const poll = client.withUrl(`${second.baseUrl}/wework_bot_callback`);
    let stream: { finish: boolean; content: string } | undefined;
    for (let i = 0; i < 200 && !stream?.finish; i++) {
      stream = (await poll.refresh('zhangsan', streamId, { chatId: 'wrkSFfCgAAgroup0001' })).answer!.stream as {
        finish: boolean;
        content: string;
      };
      if (!stream.finish) await sleep(20);
    }
    assert.equal(stream?.content, 'echo: 重启也要回答');
    assert.equal(wecom.botResponses.length, 0, 'answered in the stream, not also through response_url');
  });

  test('a WeCom retry of an answered message after a restart is still recognized', async () => {
    const { wecom, openai } = await sharedFakes();
    const first = await start({ wecom, openai });
    const { url, body } = first.client.encode({
      MsgType: 'text',
      Content: '只回答一次',
      FromUserName: 'lisi',
      MsgId: '7777000011112222333',
    });
    await fetch(`${first.baseUrl}${new URL(url).pathname}${new URL(url).search}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'text/xml' },
    });
    await wecom.waitForSent(1, 5000);
    await stopOne(first);

    const second = await start({ wecom, openai, dataDir: first.dataDir });
    const retry = await fetch(`${second.baseUrl}${new URL(url).pathname}${new URL(url).search}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'text/xml' },
    });
    assert.equal(retry.status, 200);
    await sleep(300);
    assert.equal(wecom.sent.length, 1, 'no second answer');
    assert.equal(openai.chatRequests().length, 1);
  });

  test('conversations survive a restart (session_store sqlite)', async () => {
    const { wecom, openai } = await sharedFakes();
    const first = await start({ wecom, openai });
    await first.client.sendText('wangwu', '我叫王五');
    await wecom.waitForSent(1, 5000);
    await stopOne(first);

    const second = await start({ wecom, openai, dataDir: first.dataDir });
    await second.client.sendText('wangwu', '我叫什么？');
    await wecom.waitForSent(2, 5000);
    const history = openai.chatRequests()[1]!.messages.map((message) => `${message.role}:${String(message.content)}`);
    assert.deepEqual(history, ['user:我叫王五', 'assistant:echo: 我叫王五', 'user:我叫什么？']);
  });

  test('session_store memory forgets on restart', async () => {
    const { wecom, openai } = await sharedFakes();
    const first = await start({ wecom, openai, config: { session_store: 'memory' } });
    await first.client.sendText('wangwu', '我叫王五');
    await wecom.waitForSent(1, 5000);
    await stopOne(first);
    const second = await start({ wecom, openai, dataDir: first.dataDir, config: { session_store: 'memory' } });
    await second.client.sendText('wangwu', '我叫什么？');
    await wecom.waitForSent(2, 5000);
    assert.equal(openai.chatRequests()[1]!.messages.length, 1);
  });
});

describe('faults', () => {
  test('LLM outage then recovery: the message waits with backoff and is answered once', async () => {
    const h = await start({ config: { retry_delay_ms: 50, max_attempts: 5 } });
    h.openai.failNext(503, 3);
    await h.client.sendText('zhaoliu', '还在吗');
    const [reply] = await h.wecom.waitForSent(1, 8000);
    assert.equal(textOf(reply!), 'echo: 还在吗');
    assert.equal(h.openai.chatRequests().length, 4, 'three failures, then the answer');
    assert.equal(h.logs.filter((line) => line.includes('message handling failed; will retry')).length, 3);
    await sleep(200);
    assert.equal(h.wecom.sent.length, 1, 'answered exactly once');
  });

  test('an LLM that stays down: given up after max_attempts with one short apology', async () => {
    const h = await start({ config: { retry_delay_ms: 20, max_attempts: 3 } });
    h.openai.failNext(500, 100);
    await h.client.sendText('sunqi', '你好');
    const [reply] = await h.wecom.waitForSent(1, 8000);
    assert.equal(textOf(reply!), 'AI 服务暂时不可用，请稍后再试。');
    assert.equal(h.openai.chatRequests().length, 3);
    await sleep(300);
    assert.equal(h.wecom.sent.length, 1, 'one apology, nothing more');
  });

  test('WeCom 5xx then recovery: the reply is sent once WeCom is back', async () => {
    const h = await start({ config: { retry_delay_ms: 50 }, weworktop: { api_retries: 0 } });
    h.wecom.injectError('message/send', { errcode: -1, errmsg: 'system busy', status: 502, times: 2 });
    await h.client.sendText('zhouba', '发得出去吗');
    const [reply] = await h.wecom.waitForSent(1, 8000);
    assert.equal(textOf(reply!), 'echo: 发得出去吗');
    await sleep(300);
    assert.equal(h.wecom.sent.length, 1);
  });

  test('a permanent WeCom error is not retried', async () => {
    const h = await start({ config: { retry_delay_ms: 20 }, weworktop: { api_retries: 0 } });
    h.wecom.injectError('message/send', { errcode: 81013, errmsg: 'user & party & tag all invalid', times: 1 });
    await h.client.sendText('wujiu', '你好');
    await eventually(() =>
      assert.ok(
        h.logs.some((line) => line.includes('message given up')),
        'given up at once',
      ),
    );
    assert.equal(h.openai.chatRequests().length, 1, 'the LLM is not asked again');
  });

  test('rate limit: past rate_limit_per_minute the user is told once and the rest is not answered', async () => {
    const h = await start({ config: { rate_limit_per_minute: 3 } });
    for (let i = 1; i <= 6; i++) assert.equal((await h.client.sendText('zhengshi', `第${i}条`)).status, 200);
    await h.wecom.waitForSent(4, 5000);
    await sleep(300);
    const texts = h.wecom.sent.map(textOf);
    assert.equal(texts.filter((text) => text === userMessages.rateLimited(3)).length, 1, texts.join(' | '));
    assert.deepEqual(texts.filter((text) => text.startsWith('echo:')).sort(), ['echo: 第1条', 'echo: 第2条', 'echo: 第3条']);
    assert.ok(h.logs.some((line) => line.includes('rate limit: message refused')));
    await h.client.sendText('other-user', '我没超');
    await eventually(() => assert.ok(h.wecom.sent.map(textOf).includes('echo: 我没超'), 'another user is not limited'));
  });

  test("rate limit: WeCom's retries of a message do not use up the sender's messages", async () => {
    const h = await start({ config: { rate_limit_per_minute: 2 } });
    const id = '7100000000000000001';
    // WeCom retries a callback up to three times when the ack is late; each retry is the same MsgId.
    for (let i = 0; i < 4; i++) assert.equal((await h.client.sendText('chenqi', '第一条', id)).status, 200);
    assert.equal((await h.client.sendText('chenqi', '第二条')).status, 200);
    await h.wecom.waitForSent(2, 5000);
    await sleep(300);
    assert.deepEqual(
      h.wecom.sent.map(textOf).sort(),
      ['echo: 第一条', 'echo: 第二条'],
      'both answered, once each, and no "too fast" notice',
    );
    assert.ok(!h.logs.some((line) => line.includes('rate limit: message refused')), h.logs.join(''));
  });

  test('a callback older than max_clock_skew is refused as a replay, once the signature checks out', async () => {
    const h = await start({ weworktop: { max_clock_skew: 300 } });
    const now = Math.floor(Date.now() / 1000);
    const stale = await h.client.sendText('fengshiyi', '旧消息', undefined, { timestamp: now - 400 });
    assert.equal(stale.status, 401);
    const future = await h.client.sendText('fengshiyi', '未来的消息', undefined, { timestamp: now + 400 });
    assert.equal(future.status, 401);
    assert.ok(
      h.logs.some((line) => line.includes('stale or replayed callback')),
      h.logs.join(''),
    );
    const fresh = await h.client.sendText('fengshiyi', '新消息', undefined, { timestamp: now - 100 });
    assert.equal(fresh.status, 200);
    await h.wecom.waitForSent(1, 5000);
    assert.deepEqual(
      h.openai.chatRequests().map((request) => request.messages.at(-1)?.content),
      ['新消息'],
    );
  });
});

describe('shutdown and health', () => {
  test('stop: callbacks get 503, the answer in flight is finished, queued ones stay pending for the next start', async () => {
    const { wecom, openai } = await sharedFakes();
    const first = await start({ wecom, openai, config: { shutdown_timeout: 10, concurrency: 1 } });
    openai.setLatency(600);
    await first.client.sendText('chenyi', '正在回答的');
    await first.client.sendText('chener', '排队中的');
    await eventually(() => assert.equal(openai.chatRequests().length, 1));
    const stopping = stopOne(first);
    await sleep(50);
    const refused = await first.client.sendText('chensan', '关机时到的');
    assert.equal(refused.status, 503);
    await stopping;
    assert.deepEqual(wecom.sent.map(textOf), ['echo: 正在回答的'], 'the running answer finished before exit');

    openai.setLatency(0);
    await start({ wecom, openai, dataDir: first.dataDir });
    await wecom.waitForSent(2, 5000);
    assert.deepEqual(wecom.sent.map(textOf), ['echo: 正在回答的', 'echo: 排队中的']);
  });

  test('/healthz answers; /readyz is 200 when a token can be had and 503 when not', async () => {
    const h = await start();
    assert.deepEqual(await (await fetch(`${h.baseUrl}/healthz`)).json(), { status: 'ok' });
    const ready = await fetch(`${h.baseUrl}/readyz`);
    assert.equal(ready.status, 200);
    const wrongSecret = await start({ weworktop: { corp_secret: 'not-the-app-secret' } });
    const notReady = await fetch(`${wrongSecret.baseUrl}/readyz`);
    assert.equal(notReady.status, 503);
    assert.match(((await notReady.json()) as { reason: string }).reason, /no access token/);
  });
});
