import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InjectedError, SentMessage } from '../../../fakes/fake-wecom.js';
import { AiBotClient } from '../../../fakes/wecom-client.js';
import { tone } from '../../src/media/media-fixtures.js';
import { eventually, startWeworktop, type WeworktopHarness, type WeworktopHarnessOptions } from '../../support/weworktop-harness.js';

/**
 * Answers that are not WeCom's (or OpenAI's) JSON, served with HTTP 200 by a proxy or gateway in
 * their place: each is a transient failure, retried until the real service answers, never taken
 * as a delivery. The real app against the fakes.
 */

const textOf = (message: SentMessage) => (message.body[message.msgtype] as { content?: string })?.content ?? `<${message.msgtype}>`;
const BOT = { token: 'QDG6eK', aes_key: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' };

let running: WeworktopHarness | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(options: WeworktopHarnessOptions = {}): Promise<WeworktopHarness> {
  running = await startWeworktop({ ...options, config: { retry_delay_ms: 20, ...options.config } });
  return running;
}

const warnings = (h: WeworktopHarness, text: string) => h.logs.filter((line) => line.includes(' WARN ') && line.includes(text));

const FOREIGN: Array<{ what: string; answer: InjectedError; quoted: string }> = [
  {
    what: 'an HTML error page',
    answer: { body: '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>' },
    quoted: '<html><head><title>502 Bad Gateway',
  },
  {
    what: 'broken JSON',
    answer: { body: '{"errcode":0,"errmsg":"o', contentType: 'application/json' },
    quoted: '{"errcode":0,"errmsg":"o',
  },
  {
    what: 'JSON without an errcode',
    answer: { body: '{"status":"ok","message":"proxy says hi"}', contentType: 'application/json' },
    quoted: 'proxy says hi',
  },
  {
    what: 'JSON with errcode as a string',
    answer: { body: '{"errcode":"0","errmsg":"ok"}', contentType: 'application/json' },
    quoted: '"errcode":"0"',
  },
];

describe("an HTTP 200 that is not WeCom's JSON is a transient failure", () => {
  for (const { what, answer, quoted } of FOREIGN) {
    test(`message/send answered with ${what}: retried, delivered once, one WARN line per failed try quoting the body`, async () => {
      const h = await start();
      h.wecom.injectError('message/send', { ...answer, times: 2 });
      assert.equal((await h.client.sendText('zhangsan', '送得到吗')).status, 200);
      const [reply] = await h.wecom.waitForSent(1, 8000);
      assert.equal(textOf(reply!), 'echo: 送得到吗');
      await sleep(200);
      assert.equal(h.wecom.sent.length, 1, 'delivered once');
      const failed = warnings(h, 'message handling failed; will retry');
      assert.equal(failed.length, 2, h.logs.join(''));
      for (const line of failed) {
        assert.ok(line.includes(quoted), line);
        assert.match(line, /WeCom message\/send failed: errcode -1/);
      }
    });
  }

  test('gettoken answered with an HTML page: retried, and the reply still goes out', async () => {
    const h = await start();
    // After the start-up check's own fetch, so the message is the one that needs a new token.
    await eventually(() =>
      assert.ok(
        h.logs.some((line) => line.includes('start-up check')),
        'start-up check done',
      ),
    );
    h.wecom.expireTokens();
    h.wecom.injectError('gettoken', { body: '<html><body>504 Gateway Time-out</body></html>', times: 1 });
    await h.client.sendText('lisi', '你好');
    const [reply] = await h.wecom.waitForSent(1, 8000);
    assert.equal(textOf(reply!), 'echo: 你好');
    const failed = warnings(h, 'WeCom gettoken failed');
    assert.equal(failed.length, 1, h.logs.join(''));
    assert.match(failed[0]!, /504 Gateway Time-out/);
  });

  test('media/upload answered with an HTML page: retried, and the image still goes out', async () => {
    const h = await start();
    h.wecom.injectError('media/upload', { body: '<html><body>413 Request Entity Too Large</body></html>', times: 1 });
    await h.client.sendText('lisi', '画一只猫');
    const [reply] = await h.wecom.waitForSent(1, 8000);
    assert.equal(reply!.msgtype, 'image');
    assert.equal(h.wecom.uploads.length, 1);
    assert.equal(warnings(h, 'WeCom media/upload failed').length, 1, h.logs.join(''));
  });

  test('media/get answered with an HTML page (no file name): not taken as the voice note, retried, and the note is heard', async () => {
    const h = await start();
    h.openai.setTranscriber(() => '听得见吗');
    h.wecom.addMedia('voice-html-1', tone(2, 'amr'), 'audio/amr', 'voice.amr');
    h.wecom.injectError('media/get', { body: '<html><body>502 Bad Gateway</body></html>', times: 1 });
    assert.equal((await h.client.sendVoice('qianliu', 'voice-html-1')).status, 200);
    const [reply] = await h.wecom.waitForSent(1, 8000);
    assert.equal(textOf(reply!), '「听得见吗」\n\necho: 听得见吗');
    assert.equal(warnings(h, 'WeCom media/get failed').length, 1, h.logs.join(''));
  });

  test("the AI bot's response_url answered with an HTML page: retried, and the answer is posted once", async () => {
    const h = await start({ config: { group_name_white_list: ['ALL_GROUP'] }, weworktop: { bot: { ...BOT, stream: false } } });
    const bot = new AiBotClient({ url: `${h.baseUrl}/wework_bot_callback`, token: BOT.token, encodingAesKey: BOT.aes_key });
    h.wecom.injectError('aibot/response', { body: '<html>502 Bad Gateway</html>', times: 1 });
    assert.equal(
      (await bot.sendText('wangwu', '@bot 群里问', { chatId: 'wrkSFfCgAAgroup0001', responseUrl: h.wecom.responseUrl() })).status,
      200,
    );
    const [posted] = await h.wecom.waitForBotResponses(1, 8000);
    assert.match(JSON.stringify(posted!.body), /echo: 群里问/);
    await sleep(200);
    assert.equal(h.wecom.botResponses.length, 1);
    const failed = warnings(h, 'message handling failed; will retry');
    assert.equal(failed.length, 1, h.logs.join(''));
    assert.match(failed[0]!, /not WeCom's JSON \(text\/html\): <html>502 Bad Gateway<\/html>/);
  });

  test("the LLM answered by a gateway's HTML page with status 200: retried, answered once", async () => {
    const h = await start();
    h.openai.answerNextRaw({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html><body>upstream connect error</body></html>',
    });
    await h.client.sendText('zhaoliu', '模型在吗');
    const [reply] = await h.wecom.waitForSent(1, 8000);
    assert.equal(textOf(reply!), 'echo: 模型在吗');
    await sleep(200);
    assert.equal(h.wecom.sent.length, 1, 'answered once, no apology');
    assert.equal(h.openai.chatRequests().length, 2);
    assert.ok(
      warnings(h, 'not the OpenAI API').some((line) => line.includes('upstream connect error')),
      h.logs.join(''),
    );
  });
});

describe('access tokens never reach the log', () => {
  test('an upstream that echoes the access token (in an HTML page, an errmsg, a URL) has it redacted in every line', async () => {
    const h = await start({ config: { log_level: 'debug' } });
    const tokens = new Set<string>();
    const echo = (request: { query: URLSearchParams }) => {
      const token = request.query.get('access_token') ?? '';
      tokens.add(token);
      return token;
    };
    h.wecom.injectError('message/send', {
      body: (request) => `<html>bad gateway for /cgi-bin/message/send?access_token=${echo(request)} (token ${echo(request)})</html>`,
      times: 1,
    });
    h.wecom.injectError('message/send', {
      body: (request) => JSON.stringify({ errcode: 45009, errmsg: `api freq out of limit for token ${echo(request)}` }),
      contentType: 'application/json',
      times: 1,
    });
    h.wecom.injectError('message/send', { body: (request) => `<html>${echo(request)}</html>`, status: 502, times: 1 });
    await h.client.sendText('sunqi', '令牌');
    await h.wecom.waitForSent(1, 8000);
    assert.equal(tokens.size, 1, 'one token, echoed three ways');
    const [token] = [...tokens];
    const log = h.logs.join('');
    assert.ok(warnings(h, 'message handling failed; will retry').length >= 3, log);
    assert.ok(!log.includes(token!), `the token appears in the log:\n${log}`);
    assert.match(log, /token \*\*\*/);
  });

  test('an AI bot response_url whose error echoes its response_code has it redacted', async () => {
    const h = await start({
      config: { group_name_white_list: ['ALL_GROUP'], max_attempts: 1 },
      weworktop: { bot: { ...BOT, stream: false } },
    });
    const bot = new AiBotClient({ url: `${h.baseUrl}/wework_bot_callback`, token: BOT.token, encodingAesKey: BOT.aes_key });
    const url = h.wecom.responseUrl();
    const code = new URL(url).searchParams.get('response_code')!;
    h.wecom.injectError('aibot/response', {
      body: JSON.stringify({ errcode: 40058, errmsg: `bad response_code ${code}` }),
      contentType: 'application/json',
      times: 5,
    });
    await bot.sendText('zhouba', '@bot 码', { chatId: 'wrkSFfCgAAgroup0001', responseUrl: url });
    await eventually(
      () =>
        assert.ok(
          h.logs.some((line) => line.includes('message given up')),
          'given up',
        ),
      8000,
    );
    assert.ok(!h.logs.join('').includes(code), h.logs.join(''));
  });
});
