import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { startWeworktop, type WeworktopHarness } from '../../support/weworktop-harness.js';

let harness: WeworktopHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const UNTRUSTED =
  'not allow to access from your ip, hint: [1700000000_1_abc], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=60020';

async function scrape(h: WeworktopHarness, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${h.baseUrl}/metrics`, { headers });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one series, or undefined when Prometheus would not see it. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Scrapes until a series shows `expected`: the worker's counts arrive in its next batch (once a second). */
async function scrapeUntil(h: WeworktopHarness, series: string, expected: number, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await scrape(h);
    if (value(text, series) === expected || Date.now() > deadline) {
      assert.equal(
        value(text, series),
        expected,
        `${series} in:\n${text
          .split('\n')
          .filter((line) => line.startsWith(series.split('{')[0]!))
          .join('\n')}`,
      );
      return text;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('GET /metrics (metrics: true)', () => {
  test('off by default: /metrics is an unknown path', async () => {
    harness = await startWeworktop();
    assert.equal((await fetch(`${harness.baseUrl}/metrics`)).status, 404);
  });

  test('a message answered: the callback, the ack, the intake, the answer and its timing, the WeCom calls; no user id', async () => {
    harness = await startWeworktop({ config: { metrics: true } });
    assert.equal((await harness.client.sendText('zhangsan', 'hello')).status, 200);
    await harness.wecom.waitForSent(1);
    await fetch(`${harness.baseUrl}/no/such/path`);
    const text = await scrapeUntil(harness, 'weworktop_answers_total{outcome="answered",reason=""}', 1);
    assert.equal(value(text, 'weworktop_http_requests_total{route="/wework_callback",method="POST",status="200"}'), 1);
    assert.equal(value(text, 'weworktop_http_requests_total{route="unmatched",method="GET",status="404"}'), 1);
    assert.equal(value(text, 'weworktop_callback_ack_seconds_count{route="/wework_callback"}'), 1);
    assert.equal(value(text, 'weworktop_callback_ack_seconds_bucket{route="/wework_callback",le="+Inf"}'), 1);
    assert.equal(value(text, 'weworktop_messages_received_total{result="accepted"}'), 1);
    assert.equal(value(text, 'weworktop_answer_seconds_count'), 1);
    assert.equal(value(text, 'weworktop_answer_llm_wait_seconds_count'), 1);
    assert.equal(value(text, 'weworktop_answer_framework_seconds_count'), 1);
    assert.ok(value(text, 'weworktop_answer_llm_wait_seconds_sum')! <= value(text, 'weworktop_answer_seconds_sum')!);
    assert.equal(value(text, 'weworktop_wecom_api_calls_total{api="message/send",errcode="0"}'), 1);
    assert.ok(value(text, 'weworktop_wecom_api_calls_total{api="gettoken",errcode="0"}')! >= 1);
    assert.equal(value(text, 'weworktop_inbox_pending'), 0);
    assert.ok(value(text, 'weworktop_worker_heap_used_bytes')! > 1_000_000);
    assert.ok(value(text, 'weworktop_process_resident_memory_bytes')! > 10_000_000);
    assert.doesNotMatch(text, /zhangsan|no\/such\/path/, 'labels are bounded: no user ids, no paths a client chose');
    assert.ok(harness.logs.some((line) => /listening on .* \(Prometheus metrics at \/metrics\)/.test(line)));
  });

  test('ignored messages count with their reason, given-up ones with theirs, and the LLM error by kind', async () => {
    harness = await startWeworktop({ config: { metrics: true, single_chat_prefix: ['bot'] } });
    await harness.client.sendText('zhangsan', 'no prefix here');
    await scrapeUntil(harness, 'weworktop_answers_total{outcome="ignored",reason="not_triggered"}', 1);
    harness.openai.failNext(401);
    await harness.client.sendText('zhangsan', 'bot a question');
    const text = await scrapeUntil(harness, 'weworktop_llm_errors_total{kind="auth"}', 1);
    // A 401 is answered with one sentence (not retried): the message is answered, with that sentence.
    assert.equal(value(text, 'weworktop_answers_total{outcome="answered",reason=""}'), 1);
  });

  test('a WeCom error counts by its errcode, and a message WeCom keeps refusing is given up', async () => {
    harness = await startWeworktop({ config: { metrics: true, max_attempts: 1 } });
    harness.wecom.injectError('message/send', { errcode: 60020, errmsg: UNTRUSTED, times: 2 });
    await harness.client.sendText('zhangsan', 'hello');
    const text = await scrapeUntil(harness, 'weworktop_answers_total{outcome="given_up",reason="permanent"}', 1);
    assert.ok(value(text, 'weworktop_wecom_api_calls_total{api="message/send",errcode="60020"}')! >= 1);
  });

  test('metrics_token: without it or with another, 401 and a log line; with it, the metrics; never logged', async () => {
    harness = await startWeworktop({ config: { metrics: true, metrics_token: 'scrape-secret-0001' } });
    const none = await fetch(`${harness.baseUrl}/metrics`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="weworktop metrics"');
    assert.equal((await fetch(`${harness.baseUrl}/metrics`, { headers: { authorization: 'Bearer scrape-secret-0002' } })).status, 401);
    assert.equal(
      (await fetch(`${harness.baseUrl}/metrics`, { headers: { authorization: 'Bearer scrape-secret' } })).status,
      401,
      'a prefix is not the token',
    );
    const text = await scrape(harness, { authorization: 'Bearer scrape-secret-0001' });
    assert.equal(value(text, 'weworktop_http_requests_total{route="/metrics",method="GET",status="401"}'), 3);
    assert.ok(harness.logs.some((line) => line.includes('metrics: request refused with 401')));
    assert.doesNotMatch(harness.logs.join(''), /scrape-secret-0001/);
  });
});
