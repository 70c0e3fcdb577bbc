import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AiBotClient, type AiBotResponse } from '../../../../fakes/wecom-client.js';
import { startWeworktop, type WeworktopHarness, type WeworktopHarnessOptions } from '../../../support/weworktop-harness.js';

const BOT_TOKEN = 'QDG6eK';
const BOT_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const GROUP = 'wrkSFfCgAAtestgroup01';
const OTHER_GROUP = 'wrkSFfCgAAothergroup2';

let harness: WeworktopHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

type Stream = {
  id: string;
  finish: boolean;
  content: string;
  msg_item?: Array<{ msgtype: string; image: { base64: string; md5: string } }>;
};

async function startWithBot(
  options: WeworktopHarnessOptions & { bot?: Record<string, unknown> } = {},
): Promise<{ h: WeworktopHarness; bot: AiBotClient }> {
  harness = await startWeworktop({
    ...options,
    config: { group_name_white_list: ['产品群'], ...options.config },
    weworktop: { bot: { token: BOT_TOKEN, aes_key: BOT_KEY, ...options.bot }, group_names: { [GROUP]: '产品群' }, ...options.weworktop },
  });
  return { h: harness, bot: new AiBotClient({ url: `${harness.baseUrl}/wework_bot_callback`, token: BOT_TOKEN, encodingAesKey: BOT_KEY }) };
}

const streamOf = (response: AiBotResponse): Stream => {
  assert.equal(response.status, 200, response.body);
  assert.equal(response.answer?.msgtype, 'stream', JSON.stringify(response.answer));
  return response.answer!.stream as Stream;
};

/** Polls like WeCom does until the stream finishes; returns every content seen. */
async function pollStream(bot: AiBotClient, from: string, id: string, chatId?: string): Promise<{ contents: string[]; last: Stream }> {
  const contents: string[] = [];
  for (let i = 0; i < 200; i++) {
    const stream = streamOf(await bot.refresh(from, id, chatId ? { chatId } : {}));
    assert.equal(stream.id, id);
    contents.push(stream.content);
    if (stream.finish) return { contents, last: stream };
    await sleep(20);
  }
  throw new Error('stream never finished');
}

describe('AI bot URL verification', () => {
  test('answers the V8 vector (receive id "") and the client round trip; a forged signature is 401', async () => {
    const { h, bot } = await startWithBot();
    const echostr = encodeURIComponent('y514aRT8yYkYNee3kPvkrP0PKxILLkCwDviFQRkbFSPy/rdjbmr1P4E6i++ixo3ZiZpVHwxw3bnczc+p0Kj/EQ==');
    const response = await fetch(
      `${h.baseUrl}/wework_bot_callback?msg_signature=1d921cacbcf9c36da15d6c7bdc31bc24ef6f9d21&timestamp=1409659589&nonce=263014780&echostr=${echostr}`,
    );
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '1616140317555161061');
    assert.deepEqual(await bot.verifyUrl('bot-echo'), { status: 200, body: 'bot-echo' });
    assert.equal((await bot.verifyUrl('bot-echo', { tamperSignature: true })).status, 401);
  });

  test('the V8 message vector is accepted and answered with an encrypted stream carrying the callback nonce', async () => {
    // The vector is from 2014: max_clock_skew 0 lets its timestamp through.
    const { h } = await startWithBot({ config: { group_name_white_list: ['ALL_GROUP'] }, weworktop: { max_clock_skew: 0 } });
    const body = JSON.stringify({
      encrypt:
        'y514aRT8yYkYNee3kPvkrFfNP6QJhOJjJyKnjo25xNUCWRi/GOyybm22C5asmYjRRAxEBRDczW+TUMA1iRKACVskZSTdS3fNAzk3xOEACb7X3NRyRu3KdS1rcFR6RddHL/X3rQ6RAMja45Pfzuh2nj1PzrEYW6PlfcyVlvp4c5EssOwWMTYM1/oMZq5lPB+7r0Ff+/kfspd6LkaFFYdXQKHD4bGCDsyq/58xUPhUcogDd9ljxSlHkIeccVH1q3a6SrUL8wLlVI4cy7H8c8yupQQNjDY3AYMLfrjXDrW4lHL4FHgl7UWVfcG2xbXSyCWgHpBt2tvn4J7hh6mqUfoJ2Q==',
    });
    const response = await fetch(
      `${h.baseUrl}/wework_bot_callback?msg_signature=1e97f6f0187f029a1b1739e601750c90a5a76db4&timestamp=1409659813&nonce=1372623149`,
      { method: 'POST', body, headers: { 'content-type': 'application/json' } },
    );
    assert.equal(response.status, 200);
    const envelope = (await response.json()) as { encrypt: string; msgsignature: string; timestamp: number; nonce: string };
    assert.equal(envelope.nonce, '1372623149');
    assert.equal(typeof envelope.timestamp, 'number');
    const bot = new AiBotClient({ url: '', token: BOT_TOKEN, encodingAesKey: BOT_KEY });
    assert.ok(bot.crypto.verifySignature(envelope.msgsignature, String(envelope.timestamp), envelope.nonce, envelope.encrypt));
    const answer = JSON.parse(bot.crypto.decrypt(envelope.encrypt)) as { msgtype: string; stream: Stream };
    assert.equal(answer.msgtype, 'stream');
    assert.equal(answer.stream.finish, false);
    const { last } = await pollStream(bot.withUrl(`${h.baseUrl}/wework_bot_callback`), 'USERID', answer.stream.id, 'CHATID');
    assert.equal(last.content, 'echo: hello robot');
  });
});

describe('AI bot group chats', () => {
  test('"@bot 你好" in a whitelisted group streams the answer as the LLM writes it', async () => {
    const { h, bot } = await startWithBot();
    const answer = '你好！我是一个测试机器人，这是一段会被分成很多块慢慢流式输出的回答。';
    h.openai.setChatResponder(() => answer);
    h.openai.setStreaming({ chunkChars: 3, chunkDelayMs: 25 });
    const first = streamOf(await bot.sendText('zhangsan', '@bot 你好', { chatId: GROUP, responseUrl: h.wecom.responseUrl() }));
    assert.equal(first.finish, false);
    assert.ok(first.id);
    const { contents, last } = await pollStream(bot, 'zhangsan', first.id, GROUP);
    assert.equal(last.content, `${answer}`);
    const growing = contents.filter((content) => content !== '' && content !== last.content);
    assert.ok(growing.length >= 2, `saw the answer grow: ${JSON.stringify(contents)}`);
    for (let i = 1; i < contents.length; i++)
      assert.ok(contents[i]!.startsWith(contents[i - 1]!.replace(/\s+$/, '')), 'content only grows');
    const chat = h.openai.chatRequests()[0]!;
    assert.equal(chat.stream, true);
    assert.deepEqual(chat.messages.at(-1), { role: 'user', content: '你好' }, 'the @mention is stripped');
    assert.equal(h.wecom.sent.length, 0, 'nothing goes through the app');
    assert.equal(h.wecom.botResponses.length, 0, 'an answer inside the stream window uses no response_url');
  });

  test('"@bot 总结一下" quoting a message gives the LLM the question, then the quoted text', async () => {
    const { h, bot } = await startWithBot();
    const first = streamOf(
      await bot.sendText('zhangsan', '@bot 总结一下', {
        chatId: GROUP,
        quote: { msgtype: 'text', text: { content: '这是今日的测试情况' } },
      }),
    );
    const { last } = await pollStream(bot, 'zhangsan', first.id, GROUP);
    const question = '总结一下\n- - - - - - -\n引用：「这是今日的测试情况」';
    assert.deepEqual(h.openai.chatRequests()[0]!.messages.at(-1), { role: 'user', content: question });
    assert.equal(last.content, `echo: ${question}`);
  });

  test('the text parts of a quoted 图文混排 are quoted; a quoted image is left out', async () => {
    const { h, bot } = await startWithBot();
    const items = [
      { msgtype: 'text', text: { content: '第一段' } },
      { msgtype: 'image', image: { url: 'http://127.0.0.1:9/i' } },
      { msgtype: 'text', text: { content: '第二段' } },
    ];
    const mixed = streamOf(
      await bot.sendText('zhangsan', '@bot 对比一下', { chatId: GROUP, quote: { msgtype: 'mixed', mixed: { msg_item: items } } }),
    );
    await pollStream(bot, 'zhangsan', mixed.id, GROUP);
    const image = streamOf(
      await bot.sendText('zhangsan', '@bot 这是什么', {
        chatId: GROUP,
        quote: { msgtype: 'image', image: { url: 'http://127.0.0.1:9/i' } },
      }),
    );
    await pollStream(bot, 'zhangsan', image.id, GROUP);
    const questions = h.openai.chatRequests().map((request) => request.messages.at(-1)?.content);
    assert.deepEqual(questions, ['对比一下\n- - - - - - -\n引用：「第一段\n第二段」', '这是什么']);
  });

  test("with group_at_off, a keyword or prefix in the quote does not trigger; the prefix is stripped from the user's own words", async () => {
    const { h, bot } = await startWithBot({ config: { group_at_off: true, group_chat_keyword: ['天气'], group_chat_prefix: ['bot'] } });
    const quote = { msgtype: 'text', text: { content: 'bot 今天天气不错' } };
    assert.equal((await bot.sendText('zhangsan', '@RobotA 看看这个', { chatId: GROUP, quote })).body, '');
    const prefixed = streamOf(await bot.sendText('lisi', '@RobotA bot 总结', { chatId: GROUP, quote }));
    await pollStream(bot, 'lisi', prefixed.id, GROUP);
    const questions = h.openai.chatRequests().map((request) => request.messages.at(-1)?.content);
    assert.deepEqual(questions, ['总结\n- - - - - - -\n引用：「bot 今天天气不错」']);
  });

  test('a group not on the white list gets nothing, and the LLM is not asked', async () => {
    const { h, bot } = await startWithBot();
    const response = await bot.sendText('zhangsan', '@bot 你好', { chatId: OTHER_GROUP });
    assert.deepEqual([response.status, response.body], [200, '']);
    await sleep(100);
    assert.equal(h.openai.chatRequests().length, 0);
    assert.ok(h.logs.some((line) => line.includes('not for the bot')));
  });

  test('#chatid answers the chat id in any group, so admins can fill the white list', async () => {
    const { bot } = await startWithBot();
    const first = streamOf(await bot.sendText('admin', '@bot #chatid', { chatId: OTHER_GROUP }));
    const { last } = await pollStream(bot, 'admin', first.id, OTHER_GROUP);
    assert.match(last.content, new RegExp(OTHER_GROUP));
  });

  test('with group_at_off, only the prefix or a keyword triggers', async () => {
    const { h, bot } = await startWithBot({ config: { group_at_off: true, group_chat_keyword: ['天气'], group_chat_prefix: ['bot'] } });
    assert.equal((await bot.sendText('zhangsan', '@RobotA hello', { chatId: GROUP })).body, '');
    const keyword = streamOf(await bot.sendText('zhangsan', '@RobotA 今天天气怎么样', { chatId: GROUP }));
    const prefix = streamOf(await bot.sendText('lisi', '@RobotA bot 讲个笑话', { chatId: GROUP }));
    assert.equal((await pollStream(bot, 'zhangsan', keyword.id, GROUP)).last.content, 'echo: 今天天气怎么样');
    assert.equal((await pollStream(bot, 'lisi', prefix.id, GROUP)).last.content, 'echo: 讲个笑话');
    assert.equal(h.openai.chatRequests().length, 2);
  });

  test('group_chat_in_one_session shares the history of the whole group', async () => {
    const { h, bot } = await startWithBot({ config: { group_chat_in_one_session: ['产品群'], character_desc: '' } });
    const a = streamOf(await bot.sendText('zhangsan', '@bot 我是张三', { chatId: GROUP }));
    await pollStream(bot, 'zhangsan', a.id, GROUP);
    const b = streamOf(await bot.sendText('lisi', '@bot 他是谁', { chatId: GROUP }));
    await pollStream(bot, 'lisi', b.id, GROUP);
    assert.deepEqual(
      h.openai.chatRequests()[1]!.messages.map((m) => m.content),
      ['我是张三', 'echo: 我是张三', '他是谁'],
    );
  });

  test('a retried callback (same msgid) gets the same stream and one LLM call', async () => {
    const { h, bot } = await startWithBot();
    h.openai.setLatency(200);
    const first = streamOf(await bot.sendText('zhangsan', '@bot once', { chatId: GROUP, msgId: 'msg-dup-1' }));
    const again = streamOf(await bot.sendText('zhangsan', '@bot once', { chatId: GROUP, msgId: 'msg-dup-1' }));
    assert.equal(again.id, first.id);
    await pollStream(bot, 'zhangsan', first.id, GROUP);
    assert.equal(h.openai.chatRequests().length, 1);
  });

  test('a fourth message while three answers are in flight gets "still answering"', async () => {
    const { h, bot } = await startWithBot();
    h.openai.setLatency(400);
    const streams = [];
    for (let i = 0; i < 3; i++) streams.push(streamOf(await bot.sendText('zhangsan', `@bot q${i}`, { chatId: GROUP })));
    const fourth = streamOf(await bot.sendText('zhangsan', '@bot q3', { chatId: GROUP }));
    assert.equal(fourth.finish, true);
    assert.match(fourth.content, /还在回答/);
    const other = streamOf(await bot.sendText('lisi', '@bot mine', { chatId: GROUP }));
    assert.equal(other.finish, false, 'the limit is per user');
    for (const stream of streams) assert.match((await pollStream(bot, 'zhangsan', stream.id, GROUP)).last.content, /echo: q\d/);
  });

  test('an answer over 20480 bytes fills the stream and continues through response_url', async () => {
    const { h, bot } = await startWithBot();
    const long = Array.from({ length: 400 }, (_, i) => `第${i}行：${'很长的内容'.repeat(5)}`).join('\n');
    assert.ok(Buffer.byteLength(long) > 20480 * 1.5 && Buffer.byteLength(long) < 20480 * 1.9);
    h.openai.setChatResponder(() => long);
    const first = streamOf(await bot.sendText('zhangsan', '@bot long', { chatId: GROUP, responseUrl: h.wecom.responseUrl() }));
    const { last } = await pollStream(bot, 'zhangsan', first.id, GROUP);
    assert.ok(Buffer.byteLength(last.content) <= 20480);
    const [followUp] = await h.wecom.waitForBotResponses(1);
    const rest = (followUp!.body.markdown as { content: string }).content;
    assert.equal(followUp!.body.msgtype, 'markdown');
    assert.equal(`${last.content}\n${rest}`, `${long}`);
  });
});

describe('AI bot without streaming, DMs, events and bad input', () => {
  test('bot.stream false: no passive answer, one markdown reply through response_url', async () => {
    const { h, bot } = await startWithBot({ bot: { stream: false } });
    const response = await bot.sendText('zhangsan', '@bot 你好', { chatId: GROUP, responseUrl: h.wecom.responseUrl() });
    assert.deepEqual([response.status, response.body], [200, '']);
    const [reply] = await h.wecom.waitForBotResponses(1);
    assert.deepEqual(reply!.body, { msgtype: 'markdown', markdown: { content: 'echo: 你好' } });
    assert.equal(h.openai.chatRequests()[0]!.stream, undefined, 'no streaming request when nobody watches');
  });

  test('bot.stream false: a message over the rate limit is told so through its response_url, not dropped silently', async () => {
    const { h, bot } = await startWithBot({ bot: { stream: false }, config: { rate_limit_per_minute: 1 } });
    await bot.sendText('zhangsan', '@bot 一', { chatId: GROUP, responseUrl: h.wecom.responseUrl() });
    await bot.sendText('zhangsan', '@bot 二', { chatId: GROUP, responseUrl: h.wecom.responseUrl() });
    const replies = await h.wecom.waitForBotResponses(2);
    const contents = replies.map((reply) => (reply.body.markdown as { content: string }).content);
    assert.ok(
      contents.some((content) => content.includes('echo: 一')),
      contents.join(' | '),
    );
    assert.ok(
      contents.some((content) => /太快|稍后/.test(content)),
      contents.join(' | '),
    );
  });

  test('a private chat with the bot follows the single-chat rules', async () => {
    const { bot } = await startWithBot();
    const first = streamOf(await bot.sendText('zhangsan', '私聊你好'));
    assert.equal((await pollStream(bot, 'zhangsan', first.id)).last.content, 'echo: 私聊你好');
  });

  test('voice arrives transcribed by WeCom and is answered like text', async () => {
    const { h, bot } = await startWithBot();
    const first = streamOf(await bot.sendVoice('zhangsan', '明天开会吗'));
    const { last } = await pollStream(bot, 'zhangsan', first.id);
    assert.match(last.content, /明天开会吗/);
    assert.equal(h.openai.transcriptionRequests().length, 0, 'no second transcription');
  });

  test('enter_chat gets the welcome message; unknown msgtypes a polite note; expired streams close', async () => {
    const { bot } = await startWithBot({ weworktop: { welcome_message: '欢迎使用！' } });
    const welcome = await bot.sendEvent('zhangsan', 'enter_chat');
    assert.deepEqual(welcome.answer, { msgtype: 'text', text: { content: '欢迎使用！' } });
    const unknown = await bot.post({ msgid: 'm-unknown', chattype: 'single', from: { userid: 'zhangsan' }, msgtype: 'hologram' });
    assert.equal((unknown.answer!.stream as Stream).finish, true);
    assert.match((unknown.answer!.stream as Stream).content, /暂时只能处理/);
    const expired = streamOf(await bot.refresh('zhangsan', 'no-such-stream'));
    assert.equal(expired.finish, true);
  });

  test('forged signature 401, missing or bad envelope 400, non-JSON plaintext 400; none reach the LLM', async () => {
    const { h, bot } = await startWithBot({ config: { group_name_white_list: ['ALL_GROUP'] } });
    assert.equal((await bot.sendText('zhangsan', 'x', {}, { tamperSignature: true })).status, 401);
    assert.equal((await bot.post({}, { rawBody: 'not json' })).status, 400);
    assert.equal((await bot.post({}, { rawBody: '{"encrypt": 5}' })).status, 400);
    assert.equal((await bot.post({}, { rawEncrypt: bot.crypto.encrypt('not json at all') })).status, 400);
    assert.equal((await bot.post({}, { rawEncrypt: 'AAAA' })).status, 400);
    assert.equal((await bot.post({}, { rawBody: JSON.stringify({ encrypt: 'x'.repeat(1024 * 1024 + 10) }) })).status, 413);
    await sleep(50);
    assert.equal(h.openai.chatRequests().length, 0);
    assert.ok(h.logs.some((line) => line.includes('bad_signature')));
  });

  test('token without aes_key stops start-up with a config error naming the key', async () => {
    await assert.rejects(startWeworktop({ weworktop: { bot: { token: BOT_TOKEN } } }), /weworktop\.bot\.aes_key: expected a value/);
  });
});
