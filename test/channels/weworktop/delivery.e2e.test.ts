import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../../../fakes/fake-openai.js';
import { type FakeWeCom, type SentMessage, startFakeWeCom } from '../../../fakes/fake-wecom.js';
import { AiBotClient } from '../../../fakes/wecom-client.js';
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
const BOT = { token: 'QDG6eK', aes_key: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' };

const running: WeworktopHarness[] = [];
const fakes: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const harness of running.splice(0)) await harness.stop();
  for (const fake of fakes.splice(0)) await fake.close();
});

/** Message-level retries quick, and no retries inside one WeCom call, so each failure is a retry of the message. */
const FAST_RETRIES = { config: { retry_delay_ms: 30, max_attempts: 8 }, weworktop: { api_retries: 0 } };

async function start(options: WeworktopHarnessOptions = {}): Promise<WeworktopHarness> {
  const harness = await startWeworktop({
    ...options,
    config: { ...FAST_RETRIES.config, ...options.config },
    weworktop: { ...FAST_RETRIES.weworktop, ...options.weworktop },
  });
  running.push(harness);
  return harness;
}

async function sharedFakes(): Promise<{ wecom: FakeWeCom; openai: FakeOpenAI }> {
  const wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }], tokenTtlSeconds: 7200 });
  const openai = await startFakeOpenAI();
  fakes.push(wecom, openai);
  return { wecom, openai };
}

describe('a reply is generated once and delivered once', () => {
  test('a send that fails transiently is retried without asking the LLM again; the turn enters the history once', async () => {
    const h = await start();
    h.wecom.injectError('message/send', { errcode: -1, errmsg: 'system busy', times: 2 });
    assert.equal((await h.client.sendText('zhangsan', 'first question')).status, 200);
    const [reply] = await h.wecom.waitForSent(1, 5000);
    assert.equal(textOf(reply!), 'echo: first question');
    assert.equal(h.openai.chatRequests().length, 1, 'the LLM was asked once');
    assert.ok(h.logs.filter((line) => line.includes('will retry')).length >= 2, 'each failed try is logged');

    await h.client.sendText('zhangsan', 'second question');
    await h.wecom.waitForSent(2, 5000);
    assert.deepEqual(h.openai.chatRequests()[1]!.messages, [
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'echo: first question' },
      { role: 'user', content: 'second question' },
    ]);
  });

  test('a 5-part reply that fails at part 3 sends parts 3 to 5 again, not 1 to 5', async () => {
    const h = await start();
    const paragraphs = Array.from({ length: 5 }, (_, i) => `${String(i + 1)}`.repeat(2000));
    h.openai.setChatResponder(() => paragraphs.join('\n'));
    h.wecom.injectError('message/send', { errcode: -1, errmsg: 'system busy', after: 2, times: 2 });
    await h.client.sendText('zhangsan', 'a long answer please');
    const sent = await h.wecom.waitForSent(5, 5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(
      h.wecom.sent.map((message) => textOf(message).trim().slice(0, 1)),
      ['1', '2', '3', '4', '5'],
      `each part once, in order: ${sent.length} sent`,
    );
    assert.equal(h.openai.chatRequests().length, 1);
  });

  test('while no access token can be had, the LLM is not asked; once one can, the message is answered', async () => {
    const { wecom, openai } = await sharedFakes();
    wecom.injectError('gettoken', { errcode: -1, errmsg: 'system busy', times: 1000 });
    const h = await start({ wecom, openai });
    await h.client.sendText('zhangsan', 'wait for the token');
    await eventually(() => assert.ok(wecom.tokenFetches(AGENT_ID) >= 3, 'gettoken retried'), 5000);
    assert.equal(openai.chatRequests().length, 0, 'no LLM call without a token to reply with');
    wecom.reset();
    const [reply] = await wecom.waitForSent(1, 5000);
    assert.equal(textOf(reply!), 'echo: wait for the token');
    assert.equal(openai.chatRequests().length, 1);
  });

  test('a reply generated before a restart is delivered after it, not generated again', async () => {
    const { wecom, openai } = await sharedFakes();
    const first = await start({ wecom, openai, config: { shutdown_timeout: 0 } });
    wecom.injectError('message/send', { errcode: -1, errmsg: 'system busy', times: 1000 });
    await first.client.sendText('zhangsan', 'kept across the restart');
    await eventually(() => assert.ok(first.logs.filter((line) => line.includes('will retry')).length >= 2, 'sending failed twice'), 5000);
    running.splice(running.indexOf(first), 1);
    await first.stop();
    assert.equal(openai.chatRequests().length, 1);

    wecom.reset();
    const second = await start({ wecom, openai, dataDir: first.dataDir });
    const [reply] = await wecom.waitForSent(1, 5000);
    assert.equal(textOf(reply!), 'echo: kept across the restart');
    assert.equal(openai.chatRequests().length, 1, 'the stored reply was sent, the LLM not asked again');
    assert.ok(
      second.logs.some((line) => line.includes('replaying')),
      second.logs.join(''),
    );
  });
});

describe('AI bot streams', () => {
  test('an answer WeCom does not fetch (it stopped polling) goes out through response_url, once', async () => {
    const h = await start({ weworktop: { bot: BOT } });
    const bot = new AiBotClient({ url: `${h.baseUrl}/wework_bot_callback`, token: BOT.token, encodingAesKey: BOT.aes_key });
    const opened = await bot.sendText('zhangsan', 'nobody polls this', { responseUrl: h.wecom.responseUrl() });
    assert.equal((opened.answer?.stream as { finish: boolean }).finish, false);
    const [post] = await h.wecom.waitForBotResponses(1, 25_000);
    assert.equal((post!.body.markdown as { content: string }).content, 'echo: nobody polls this');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(h.wecom.botResponses.length, 1);
    assert.equal(h.openai.chatRequests().length, 1);
  });

  test('an answer WeCom fetched is done: nothing more goes out', async () => {
    const h = await start({ weworktop: { bot: BOT } });
    const bot = new AiBotClient({ url: `${h.baseUrl}/wework_bot_callback`, token: BOT.token, encodingAesKey: BOT.aes_key });
    const opened = await bot.sendText('zhangsan', 'poll me', { responseUrl: h.wecom.responseUrl() });
    const id = (opened.answer?.stream as { id: string }).id;
    let last: { finish: boolean; content: string } | undefined;
    for (let i = 0; i < 100 && !last?.finish; i++) {
      last = (await bot.refresh('zhangsan', id)).answer?.stream as { finish: boolean; content: string };
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(last?.content, 'echo: poll me');
    await new Promise((resolve) => setTimeout(resolve, 17_000));
    assert.equal(h.wecom.botResponses.length, 0, 'no second delivery');
  });
});

describe('AI bot without streaming (bot.stream false)', () => {
  test('a user who had 3 messages answered is answered again: answers through response_url end the in-flight count', async () => {
    const h = await start({ weworktop: { bot: { ...BOT, stream: false } } });
    const bot = new AiBotClient({ url: `${h.baseUrl}/wework_bot_callback`, token: BOT.token, encodingAesKey: BOT.aes_key });
    for (let i = 1; i <= 5; i++) {
      const response = await bot.sendText('zhangsan', `question ${i}`, { responseUrl: h.wecom.responseUrl() });
      assert.equal(response.status, 200);
      assert.equal(response.answer, undefined, 'no passive answer without streaming');
      const posts = await h.wecom.waitForBotResponses(i, 5000);
      const markdown = posts[i - 1]!.body.markdown as { content: string };
      assert.equal(markdown.content, `echo: question ${i}`);
    }
  });
});
