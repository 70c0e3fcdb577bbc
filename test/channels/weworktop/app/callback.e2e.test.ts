import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AGENT_ID, eventually, startWeworktop, type WeworktopHarness } from '../../../support/weworktop-harness.js';

let harness: WeworktopHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

type Sent = { agentId: string | number; touser: string; msgtype: string; body: Record<string, unknown> };
const sentTexts = (h: WeworktopHarness) =>
  (h.wecom.sent as Sent[]).map((s) => (s.body[s.msgtype] as { content?: string })?.content ?? `<${s.msgtype}>`);

describe('URL verification (GET)', () => {
  test('answers the official vector V1 with the bare plaintext', async () => {
    harness = await startWeworktop();
    const query =
      'msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D';
    const response = await fetch(`${harness.baseUrl}/wework_callback?${query}`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '1616140317555161061');
  });

  test('still verifies when "+" in echostr arrives as a space', async () => {
    harness = await startWeworktop();
    const echostr = 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=='.replace(/\+/g, '+');
    const response = await fetch(
      `${harness.baseUrl}/wework_callback?msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=${echostr.replace(/\//g, '%2F').replace(/=/g, '%3D')}`,
    );
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '1616140317555161061');
  });

  test('the test client round trip, a forged signature (401) and missing parameters (400)', async () => {
    harness = await startWeworktop();
    const ok = await harness.client.verifyUrl('hello-echo');
    assert.deepEqual(ok, { status: 200, body: 'hello-echo' });
    const forged = await fetch(
      `${harness.baseUrl}/wework_callback?msg_signature=0000000000000000000000000000000000000000&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D`,
    );
    assert.equal(forged.status, 401);
    const missing = await fetch(`${harness.baseUrl}/wework_callback`);
    assert.equal(missing.status, 400);
    assert.ok(harness.logs.some((line) => line.includes('missing query parameter(s) msg_signature, timestamp, nonce, echostr')));
    assert.ok(harness.logs.some((line) => line.includes('bad_signature')));
  });
});

describe('receiving messages (POST)', () => {
  test('the official vector V2 reaches the LLM and the answer goes back through message/send', async () => {
    // The vector is from 2014: max_clock_skew 0 lets its timestamp through (tested on its own below).
    harness = await startWeworktop({ weworktop: { max_clock_skew: 0 } });
    const body =
      '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>';
    const response = await fetch(
      `${harness.baseUrl}/wework_callback?msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149`,
      { method: 'POST', body, headers: { 'content-type': 'text/xml' } },
    );
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '');
    await harness.wecom.waitForSent(1, 3000);
    const sent = harness.wecom.sent[0] as Sent;
    assert.equal(sent.touser, 'mycreate');
    assert.deepEqual(sent.body.text, { content: 'echo: hello' });
    assert.equal(String(sent.body.agentid), AGENT_ID);
  });

  test('acks before the LLM answers, then replies', async () => {
    harness = await startWeworktop();
    harness.openai.setLatency(800);
    const response = await harness.client.sendText('zhangsan', '慢慢想');
    assert.equal(response.status, 200);
    assert.equal(response.body, '');
    assert.equal(harness.wecom.sent.length, 0, 'the ack came first');
    await harness.wecom.waitForSent(1, 5000);
    assert.deepEqual(sentTexts(harness), ['echo: 慢慢想']);
  });

  test("each answer is logged with where its time went: the LLM's wait, and the rest, the framework's own", async () => {
    harness = await startWeworktop();
    harness.openai.setLatency(300);
    await harness.client.sendText('zhangsan', '计时');
    await harness.wecom.waitForSent(1, 5000);
    const h = harness;
    await eventually(() =>
      assert.ok(
        h.logs.some((line) => line.includes(' answered ')),
        'an answered line',
      ),
    );
    const line = harness.logs.find((entry) => entry.includes(' answered '))!;
    const field = (name: string) => Number(new RegExp(`${name}=([\\d.]+)`).exec(line)?.[1]);
    assert.ok(field('waited_ms') >= 300, line);
    assert.ok(field('total_ms') >= field('waited_ms'), line);
    assert.ok(Math.abs(field('total_ms') - field('waited_ms') - field('framework_ms')) < 0.05, line);
    assert.ok(field('framework_ms') < 250, `the framework's own time is milliseconds, not the LLM's: ${line}`);
  });

  test('three WeCom retries of one MsgId make one LLM call and one send', async () => {
    harness = await startWeworktop();
    for (let i = 0; i < 3; i++) assert.equal((await harness.client.sendText('zhangsan', 'once', '4561255354251345929')).status, 200);
    await harness.wecom.waitForSent(1, 3000);
    await sleep(200);
    assert.equal(harness.openai.chatRequests().length, 1);
    assert.equal(harness.wecom.sent.length, 1);
  });

  test('events dedupe by FromUserName + CreateTime; enter_agent sends the welcome message, once a day per user', async () => {
    harness = await startWeworktop({ weworktop: { welcome_message: '欢迎使用 AI 助手' } });
    for (let i = 0; i < 2; i++) await harness.client.sendEvent('zhangsan', 'enter_agent', { CreateTime: 1700000000 });
    await harness.client.sendEvent('lisi', 'subscribe');
    await harness.wecom.waitForSent(1, 3000);
    // Opening the app again later the same day (a new event, not a retry) is not greeted again; another user is.
    await harness.client.sendEvent('zhangsan', 'enter_agent', { CreateTime: 1700000600 });
    await harness.client.sendEvent('wangwu', 'enter_agent', { CreateTime: 1700000600 });
    await harness.wecom.waitForSent(2, 3000);
    await sleep(200);
    assert.deepEqual(sentTexts(harness), ['欢迎使用 AI 助手', '欢迎使用 AI 助手']);
    assert.deepEqual(
      harness.wecom.sent.map((sent) => (sent as Sent).touser),
      ['zhangsan', 'wangwu'],
    );
    assert.equal(harness.openai.chatRequests().length, 0, 'events do not reach the LLM');
    assert.ok(harness.logs.some((line) => line.includes('membership event') && line.includes('subscribe')));
  });

  test('every inbound kind is normalized and answered sensibly', async () => {
    harness = await startWeworktop();
    const { client } = harness;
    await client.sendLocation('u-location', { Location_X: '23.134', Location_Y: '113.358', Scale: '20', Label: '广州塔' });
    await client.sendLink('u-link', { Title: '新闻', Description: '摘要', Url: 'https://example.com/a' });
    await client.sendImage('u-image', 'media-image-1');
    await client.sendVideo('u-video', 'media-video-1');
    await client.sendFile('u-file', 'media-file-1', 'report.pdf');
    await client.sendVoice('u-voice', 'media-voice-1');
    await client.post({ MsgType: 'shake', FromUserName: 'u-unknown', MsgId: '99' });
    await harness.wecom.waitForSent(7, 5000);
    const byUser = new Map((harness.wecom.sent as Sent[]).map((s) => [s.touser, (s.body[s.msgtype] as { content: string })?.content]));
    assert.equal(byUser.get('u-location'), 'echo: [位置] 广州塔 (23.134, 113.358)');
    assert.equal(byUser.get('u-link'), 'echo: [链接] 新闻\n摘要\nhttps://example.com/a');
    assert.match(byUser.get('u-image')!, /看不了图片/);
    assert.equal(byUser.get('u-video'), '暂时只能处理文字、语音和图片消息。');
    assert.equal(byUser.get('u-file'), '暂时只能处理文字、语音和图片消息。');
    assert.match(byUser.get('u-voice')!, /语音识别没有配置|没能从企业微信取到这条语音/);
    assert.equal(byUser.get('u-unknown'), '暂时只能处理文字、语音和图片消息。');
    assert.ok(harness.logs.some((line) => line.includes('unsupported MsgType') && line.includes('shake')));
  });

  test('one user is served in order, users in parallel, never more than `concurrency` at once', async () => {
    harness = await startWeworktop({ config: { concurrency: 2 } });
    let active = 0;
    let peak = 0;
    harness.openai.setChatResponder(async (request) => {
      active += 1;
      peak = Math.max(peak, active);
      await sleep(60);
      active -= 1;
      const messages = (request as { messages: Array<{ content: string }> }).messages;
      return `re:${messages.at(-1)!.content}`;
    });
    const users = ['u1', 'u2', 'u3'];
    await Promise.all(
      users.map(async (user) => {
        for (let i = 0; i < 3; i++) await harness!.client.sendText(user, `${user}-${i}`);
      }),
    );
    await harness.wecom.waitForSent(9, 10_000);
    assert.equal(peak, 2, 'parallel across users, bounded by concurrency');
    for (const user of users) {
      const texts: string[] = (harness.wecom.sent as Sent[])
        .filter((s) => s.touser === user)
        .map((s) => (s.body.text as { content: string }).content);
      assert.deepEqual(
        texts,
        [0, 1, 2].map((i) => `re:${user}-${i}`),
      );
    }
  });

  test('past max_queue the user is told to retry and the drop is logged', async () => {
    harness = await startWeworktop({ config: { concurrency: 1, max_queue: 1 } });
    harness.openai.setLatency(300);
    await harness.client.sendText('u1', 'first');
    await sleep(50);
    await harness.client.sendText('u2', 'second');
    await harness.client.sendText('u3', 'third');
    await harness.wecom.waitForSent(3, 5000);
    assert.deepEqual(sentTexts(harness).sort(), ['echo: first', 'echo: second', '消息太多了，我正忙不过来，请稍后再试。'].sort());
    assert.ok(harness.logs.some((line) => line.includes('queue full')));
  });
});

describe('sending', () => {
  test('a 5,000-byte Chinese reply is split into ordered parts of at most 2048 bytes', async () => {
    harness = await startWeworktop();
    const long = Array.from({ length: 20 }, (_, i) => `第${i}段：${'中文内容'.repeat(20)}`).join('\n');
    assert.ok(Buffer.byteLength(long) > 5000);
    harness.openai.setChatResponder(() => long);
    await harness.client.sendText('zhangsan', 'long please');
    await eventually(() => assert.equal(sentTexts(harness!).join('\n'), long), 5000);
    const parts = sentTexts(harness);
    assert.equal(parts.length, 3);
    for (const part of parts) assert.ok(Buffer.byteLength(part) <= 2048);
  });

  test('markdown is stripped to text by default and sent as markdown when enable_markdown', async () => {
    harness = await startWeworktop();
    harness.openai.setChatResponder(() => '## 标题\n**重点** 和 `code`');
    await harness.client.sendText('zhangsan', 'md');
    await harness.wecom.waitForSent(1, 3000);
    const plain = harness.wecom.sent[0] as Sent;
    assert.equal(plain.msgtype, 'text');
    assert.doesNotMatch((plain.body.text as { content: string }).content, /\*\*|##|`/);
    await harness.stop();
    harness = await startWeworktop({ weworktop: { enable_markdown: true } });
    harness.openai.setChatResponder(() => '## 标题\n**重点**');
    await harness.client.sendText('zhangsan', 'md');
    await harness.wecom.waitForSent(1, 3000);
    const markdown = harness.wecom.sent[0] as Sent;
    assert.equal(markdown.msgtype, 'markdown');
    assert.deepEqual(markdown.body.markdown, { content: '## 标题\n**重点**' });
  });

  test('transient send failures are retried; permanent ones are logged with errcode and errmsg', async () => {
    harness = await startWeworktop({ config: { retry_delay_ms: 20 } });
    harness.wecom.injectError('message/send', { errcode: -1, errmsg: 'system busy', times: 2 });
    await harness.client.sendText('zhangsan', 'retry');
    await harness.wecom.waitForSent(1, 3000);
    assert.deepEqual(sentTexts(harness), ['echo: retry']);
    harness.wecom.injectError('message/send', { errcode: 48002, errmsg: 'api forbidden', times: 1 });
    await harness.client.sendText('zhangsan', 'forbidden');
    await eventually(() =>
      assert.ok(
        harness!.logs.some((line) => line.includes('errcode 48002') && line.includes('api forbidden')),
        'errcode and errmsg logged',
      ),
    );
  });

  test('60020 logs the IP WeCom saw and how to fix it', async () => {
    harness = await startWeworktop();
    harness.wecom.injectError('message/send', {
      errcode: 60020,
      errmsg:
        'not allow to access from your ip, hint: [1700000000_1_abc], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=60020',
      times: 1,
    });
    await harness.client.sendText('zhangsan', 'ip');
    await eventually(() =>
      assert.ok(
        harness!.logs.some((line) => line.includes('203.0.113.7') && line.includes('企业可信IP') && line.includes('weworktop.proxy')),
        'the IP and the fix logged',
      ),
    );
  });
});

describe('access token', () => {
  test('expired mid-flight (42001): fetched again and the call retried once', async () => {
    harness = await startWeworktop();
    await harness.client.sendText('zhangsan', 'one');
    await harness.wecom.waitForSent(1, 3000);
    harness.wecom.expireTokens();
    await harness.client.sendText('zhangsan', 'two');
    await harness.wecom.waitForSent(2, 3000);
    assert.equal(harness.wecom.tokenFetches(AGENT_ID), 2);
    assert.deepEqual(sentTexts(harness), ['echo: one', 'echo: two']);
  });

  test('a burst of 30 users on a cold start fetches the token once', async () => {
    harness = await startWeworktop({ config: { concurrency: 8 } });
    harness.wecom.setLatency('gettoken', 100);
    await Promise.all(Array.from({ length: 30 }, (_, i) => harness!.client.sendText(`user${i}`, `hi ${i}`)));
    await harness.wecom.waitForSent(30, 10_000);
    assert.equal(harness.wecom.tokenFetches(AGENT_ID), 1);
  });
});

describe('bad input never reaches the pipeline and never crashes the server', () => {
  test('forged signature 401, wrong receive id 401, garbage 400, malformed XML 400, oversized 413', async () => {
    harness = await startWeworktop();
    const { client } = harness;
    assert.equal((await client.sendText('zhangsan', 'x', undefined, { tamperSignature: true })).status, 401);
    assert.equal((await client.sendText('zhangsan', 'x', undefined, { receiveId: 'wx0000000000000000' })).status, 401);
    assert.equal((await client.post({ MsgType: 'text', Content: 'x' }, { rawEncrypt: 'not-base64-!!!' })).status, 400);
    assert.equal((await client.post({ MsgType: 'text', Content: 'x' }, { rawBody: '<xml><Encrypt>unterminated' })).status, 400);
    assert.equal(
      (await client.post({ MsgType: 'text', Content: 'x' }, { rawBody: `<xml>${'a'.repeat(1024 * 1024 + 10)}</xml>` })).status,
      413,
    );
    const missing = await fetch(`${harness.baseUrl}/wework_callback`, { method: 'POST', body: '<xml/>' });
    assert.equal(missing.status, 400);
    assert.equal(harness.openai.chatRequests().length, 0);
    const still = await client.sendText('zhangsan', 'still alive');
    assert.equal(still.status, 200);
    await harness.wecom.waitForSent(1, 3000);
    for (const reason of ['bad_signature', 'receive_id_mismatch', 'payload too large', 'malformed XML']) {
      assert.ok(
        harness.logs.some((line) => line.includes(reason) || (reason === 'payload too large' && line.includes('body over'))),
        `a log line says ${reason}`,
      );
    }
  });
});

describe('multiple apps and proxies', () => {
  test('an extra agent is served on its own path and answered through its own app', async () => {
    const KEY2 = 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR';
    harness = await startWeworktop({
      extraApps: [{ agentId: '1000003', secret: 'second-app-secret' }],
      weworktop: { agents: [{ agent_id: 1000003, corp_secret: 'second-app-secret', token: 'token2', aes_key: KEY2 }] },
    });
    const { WeComAppClient } = await import('../../../../fakes/wecom-client.js');
    const second = new WeComAppClient({
      url: `${harness.baseUrl}/wework_callback/1000003`,
      token: 'token2',
      encodingAesKey: KEY2,
      corpId: 'wx5823bf96d3bd56c7',
      agentId: '1000003',
    });
    assert.equal((await second.sendText('zhangsan', 'via second app')).status, 200);
    await harness.wecom.waitForSent(1, 3000);
    assert.equal(String((harness.wecom.sent[0] as Sent).agentId), '1000003');
    assert.ok(
      harness.logs.some(
        (line) =>
          line.includes('serving') && line.includes('/wework_callback,/wework_callback/1000003') && line.includes('agents=1000002,1000003'),
      ),
    );
  });

  test('weworktop.proxy routes every API call through the proxy', async () => {
    const { startConnectProxy } = await import('../../../support/connect-proxy.js');
    const proxy = await startConnectProxy();
    try {
      harness = await startWeworktop({ weworktop: { proxy: proxy.url } });
      await harness.client.sendText('zhangsan', 'through the proxy');
      await harness.wecom.waitForSent(1, 3000);
      const wecom = new URL(harness.wecom.url).host;
      assert.ok(proxy.targets.includes(wecom), `WeCom calls tunnelled through the proxy: ${proxy.targets.join(', ')}`);
      assert.ok(!proxy.targets.includes(new URL(harness.openai.url).host), "the LLM is not: weworktop.proxy is WeCom's, proxy the LLM's");
    } finally {
      await harness?.stop();
      harness = undefined;
      await proxy.close();
    }
  });
});
