import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeApi, InjectedError, SentMessage } from '../../fakes/fake-wecom.js';
import { eventually, startWeworktop, type WeworktopHarness } from '../support/weworktop-harness.js';

/**
 * docs/reliability.md, "Who retries what": an outage is retried by the answer runner alone
 * (max_attempts tries, retry_delay_ms doubling between them), a dropped connection by one quick
 * retry inside the call. The real app against fakes that stay down, counting the calls one message costs.
 */

const MAX_ATTEMPTS = 3;
const DELAY_MS = 100;
// max_retries and api_retries at their defaults (the harness turns max_retries off).
const CONFIG = { max_attempts: MAX_ATTEMPTS, retry_delay_ms: DELAY_MS, max_retries: undefined };
const APIS: FakeApi[] = ['gettoken', 'message/send', 'media/upload', 'media/get'];

const textOf = (message: SentMessage) => (message.body[message.msgtype] as { content?: string })?.content ?? `<${message.msgtype}>`;

let running: WeworktopHarness | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** The app, started and warmed (its access token fetched), with the fakes' call logs cleared. */
async function start(): Promise<WeworktopHarness> {
  running = await startWeworktop({ config: CONFIG });
  await running.client.sendText('warm-up', '你好');
  await running.wecom.waitForSent(1, 5000);
  await eventually(() =>
    assert.ok(
      running!.logs.some((line) => line.includes('start-up check')),
      'start-up check done',
    ),
  );
  running.wecom.reset();
  running.openai.reset();
  return running;
}

/** Each try waits for the answer runner's backoff: retry_delay_ms, then twice that. */
function assertBackoff(times: number[]): void {
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    assert.ok(
      gap >= DELAY_MS * 2 ** (i - 1) - 5,
      `try ${i + 1} came ${gap} ms after try ${i}: ${times.map((at) => at - times[0]!).join(', ')} ms`,
    );
  }
}

const givenUp = (h: WeworktopHarness) => h.logs.some((line) => line.includes('message given up'));

describe('an outage costs max_attempts calls per message, with the backoff between them', () => {
  const outages: Array<{ what: string; error: InjectedError }> = [
    { what: 'errcode -1 (system busy)', error: { errcode: -1, errmsg: 'system busy' } },
    { what: 'HTTP 502', error: { body: '<html><body>502 Bad Gateway</body></html>', status: 502 } },
  ];
  for (const { what, error } of outages) {
    test(`WeCom answering ${what} to every call`, async () => {
      const h = await start();
      for (const api of APIS) h.wecom.injectError(api, { ...error, times: 1000 });
      await h.client.sendText('zhangsan', '发得出去吗');
      await eventually(() => assert.ok(givenUp(h), 'given up'), 8000);
      await sleep(100);
      const sends = h.wecom.callTimes('message/send');
      // The tries, then the apology (which fails too): nothing is retried inside a call.
      assert.equal(sends.length, MAX_ATTEMPTS + 1, `message/send calls: ${sends.length}`);
      assert.equal(
        APIS.reduce((sum, api) => sum + h.wecom.callTimes(api).length, 0),
        MAX_ATTEMPTS + 1,
        'no other WeCom call',
      );
      assertBackoff(sends.slice(0, MAX_ATTEMPTS));
      assert.equal(h.openai.chatRequests().length, 1, 'the answer is made once and kept');
      assert.equal(h.logs.filter((line) => line.includes('message handling failed; will retry')).length, MAX_ATTEMPTS - 1);
      assert.ok(!h.logs.some((line) => line.includes('sending again')), 'no quick retry for an outage');
    });
  }

  test('the LLM answering 503 to every call', async () => {
    const h = await start();
    h.openai.failNext(503, 1000);
    await h.client.sendText('lisi', '模型在吗');
    const [apology] = await h.wecom.waitForSent(1, 8000);
    assert.equal(textOf(apology!), 'AI 服务暂时不可用，请稍后再试。');
    await sleep(100);
    assert.equal(h.openai.chatRequests().length, MAX_ATTEMPTS);
    assertBackoff(h.openai.chatTimes());
    assert.equal(h.wecom.sent.length, 1, 'one apology');
  });
});

describe('a dropped connection is sent again at once, inside the call', () => {
  test('WeCom: one message/send whose connection drops is delivered by the quick retry, with no message-level retry', async () => {
    const h = await start();
    h.wecom.injectError('message/send', { drop: true, times: 1 });
    await h.client.sendText('wangwu', '断线重发');
    const [reply] = await h.wecom.waitForSent(1, 5000);
    assert.equal(textOf(reply!), 'echo: 断线重发');
    assert.equal(h.wecom.callTimes('message/send').length, 2);
    assert.equal(h.logs.filter((line) => line.includes('connection to WeCom dropped; sending again')).length, 1, h.logs.join(''));
    assert.ok(!h.logs.some((line) => line.includes('will retry')), 'the answer runner did not need to retry');
  });

  test('WeCom: a connection that keeps dropping costs max_attempts × (1 + api_retries) calls', async () => {
    const h = await start();
    h.wecom.injectError('message/send', { drop: true, times: 1000 });
    await h.client.sendText('wangwu', '一直断线');
    await eventually(() => assert.ok(givenUp(h), 'given up'), 8000);
    await sleep(100);
    // api_retries defaults to 1; the apology, which drops too, is the last pair.
    assert.equal(h.wecom.callTimes('message/send').length, (MAX_ATTEMPTS + 1) * 2);
  });

  test('the LLM: a chat call whose connection drops is answered by the quick retry, with no message-level retry', async () => {
    const h = await start();
    h.openai.dropNext(1);
    await h.client.sendText('zhaoliu', '模型断线');
    const [reply] = await h.wecom.waitForSent(1, 5000);
    assert.equal(textOf(reply!), 'echo: 模型断线');
    assert.equal(h.openai.chatRequests().length, 2);
    assert.ok(!h.logs.some((line) => line.includes('will retry')), 'the answer runner did not need to retry');
  });
});
