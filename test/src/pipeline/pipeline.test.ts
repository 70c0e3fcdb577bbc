import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../../../fakes/fake-openai.js';
import { createHarness } from '../../support/pipeline-harness.js';
import { answerAndSend, groupMessage, RecordingChannel, textMessage } from '../../support/recording-channel.js';

let openai: FakeOpenAI;
before(async () => {
  openai = await startFakeOpenAI();
});
after(async () => {
  await openai.close();
});
beforeEach(() => openai.reset());

type ChatBody = { model: string; messages: Array<{ role: string; content: unknown }> };
const lastChat = () => openai.chatRequests().at(-1) as ChatBody;

describe('private chats', () => {
  test('every message triggers with the default [""] and the LLM answer comes back', async () => {
    const { pipeline } = await createHarness({ openaiUrl: openai.url, config: { model: 'gpt-4o-mini', character_desc: 'You are terse.' } });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, textMessage('你好'), channel);
    assert.deepEqual(channel.texts, ['echo: 你好']);
    assert.equal(lastChat().model, 'gpt-4o-mini');
    assert.deepEqual(lastChat().messages, [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: '你好' },
    ]);
  });

  test('a configured prefix is required and stripped; reply prefix and suffix decorate', async () => {
    const { pipeline, logs } = await createHarness({
      openaiUrl: openai.url,
      config: { single_chat_prefix: ['bot'], single_chat_reply_prefix: '[bot] ', single_chat_reply_suffix: ' ~' },
    });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, textMessage('hello'), channel);
    assert.deepEqual(channel.texts, []);
    assert.equal(openai.chatRequests().length, 0);
    assert.ok(
      logs.some((line) => line.includes('ignored: no single_chat_prefix matched')),
      'the drop is logged, not silent',
    );
    await answerAndSend(pipeline, textMessage('bot hello'), channel);
    assert.deepEqual(channel.texts, ['[bot] echo: hello ~']);
  });

  test('the conversation keeps its history per user', async () => {
    const { pipeline } = await createHarness({ openaiUrl: openai.url, config: { character_desc: '' } });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, textMessage('one'), channel);
    await answerAndSend(pipeline, textMessage('two'), channel);
    await answerAndSend(pipeline, textMessage('other user', { senderId: 'lisi' }), channel);
    assert.deepEqual(openai.chatRequests()[1] && (openai.chatRequests()[1] as ChatBody).messages, [
      { role: 'user', content: 'one' },
      { role: 'assistant', content: 'echo: one' },
      { role: 'user', content: 'two' },
    ]);
    assert.deepEqual(lastChat().messages, [{ role: 'user', content: 'other user' }]);
  });

  test('a message answered again (its answer lost in a crash before it was stored) replaces its own turns', async () => {
    const { pipeline, conversations } = await createHarness({ openaiUrl: openai.url, config: { character_desc: '' } });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, textMessage('one'), channel);
    const again = textMessage('two');
    await answerAndSend(pipeline, again, channel);
    await answerAndSend(pipeline, again, channel);
    assert.deepEqual(lastChat().messages, [
      { role: 'user', content: 'one' },
      { role: 'assistant', content: 'echo: one' },
      { role: 'user', content: 'two' },
    ]);
    assert.deepEqual(
      conversations.get('zhangsan').turns.map((turn) => turn.message.content),
      ['one', 'echo: one', 'two', 'echo: two'],
    );
  });

  test('clear_memory_commands reset the conversation', async () => {
    const { pipeline } = await createHarness({ openaiUrl: openai.url, config: { character_desc: '' } });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, textMessage('remember me'), channel);
    await answerAndSend(pipeline, textMessage('#reset'), channel);
    await answerAndSend(pipeline, textMessage('who am I'), channel);
    assert.equal(channel.texts[1], '记忆已清除，我们重新开始吧。');
    assert.deepEqual(lastChat().messages, [{ role: 'user', content: 'who am I' }]);
  });

  test('history is trimmed to conversation_max_tokens, oldest first, counted with the real tokenizer', async () => {
    const { pipeline } = await createHarness({
      openaiUrl: openai.url,
      config: { character_desc: 'sys', conversation_max_tokens: 120, max_single_msg_tokens: 100 },
    });
    const channel = new RecordingChannel();
    openai.setChatResponder(() => 'ok');
    // Each question is 20 tokens of "hello" plus framing; each answer "ok".
    for (let i = 0; i < 6; i++) await answerAndSend(pipeline, textMessage(`q${i} ${'hello '.repeat(20)}`), channel);
    const sent = lastChat().messages;
    assert.equal(sent[0]!.role, 'system');
    assert.match(String(sent.at(-1)!.content), /^q5 /);
    const questions = sent.filter((m) => m.role === 'user').map((m) => String(m.content).slice(0, 2));
    assert.ok(questions.length < 6, `history was trimmed (${questions.join(',')})`);
    assert.deepEqual(questions, questions.slice().sort(), 'the oldest went first, order kept');
    const { TokenCounter } = await import('../../../src/session/tokens.js');
    const counter = new TokenCounter('gpt-4o-mini');
    const total = sent.reduce((sum, m) => sum + counter.countMessage(m as never), 3);
    assert.ok(total <= 120, `prompt is ${total} tokens`);
  });

  test('a message over max_single_msg_tokens is refused with the numbers and not sent', async () => {
    const { pipeline } = await createHarness({
      openaiUrl: openai.url,
      config: { max_single_msg_tokens: 10, conversation_max_tokens: 100 },
    });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, textMessage('hello '.repeat(30)), channel);
    assert.equal(openai.chatRequests().length, 0);
    assert.match(channel.texts[0]!, /消息太长了（3\d tokens），单条消息最多 10 tokens/);
  });

  test('idle conversations expire after expires_in_seconds', async () => {
    let now = 1_000_000;
    const { pipeline } = await createHarness({
      openaiUrl: openai.url,
      now: () => now,
      config: { character_desc: '', expires_in_seconds: 60 },
    });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, textMessage('first'), channel);
    now += 61_000;
    await answerAndSend(pipeline, textMessage('second'), channel);
    assert.deepEqual(lastChat().messages, [{ role: 'user', content: 'second' }]);
  });

  test('LLM errors reach the user as one honest sentence', async () => {
    const { pipeline } = await createHarness({ openaiUrl: openai.url });
    const channel = new RecordingChannel();
    openai.failNext(500, 1);
    await answerAndSend(pipeline, textMessage('hi'), channel);
    assert.deepEqual(
      channel.sent.map((s) => s.reply.type),
      ['error'],
    );
    assert.equal(channel.texts[0], 'AI 服务暂时不可用，请稍后再试。');
    openai.failNext(401, 1);
    await answerAndSend(pipeline, textMessage('hi'), channel);
    assert.match(channel.texts[1]!, /密钥无效/);
    await answerAndSend(pipeline, textMessage('hi again'), channel);
    assert.equal(channel.texts[2], 'echo: hi again', 'recovers after the failure');
  });

  test('a 429 is one LLM call: thrown for the answer runner to retry later, and said to the user on the final attempt', async () => {
    const { pipeline } = await createHarness({ openaiUrl: openai.url, config: { max_retries: 2 } });
    const channel = new RecordingChannel();
    openai.failNext(429, 2);
    await assert.rejects(
      answerAndSend(pipeline, textMessage('retry me'), channel, { finalAttempt: false }),
      (error: { transient?: boolean }) => error.transient === true,
    );
    assert.equal(openai.chatRequests().length, 1, 'max_retries covers dropped connections only');
    await answerAndSend(pipeline, textMessage('retry me'), channel, { finalAttempt: true });
    assert.match(channel.texts[0]!, /提问太快/);
    await answerAndSend(pipeline, textMessage('retry me'), channel, { finalAttempt: false });
    assert.deepEqual(channel.texts.slice(1), ['echo: retry me']);
    assert.equal(openai.chatRequests().length, 3);
  });
});

describe('group chats', () => {
  const groupConfig = { group_name_white_list: ['测试群'], character_desc: '' };

  test('a whitelisted group with the prefix gets an answer decorated with @name', async () => {
    const { pipeline } = await createHarness({
      openaiUrl: openai.url,
      config: { ...groupConfig, group_chat_reply_prefix: '> ', group_chat_reply_suffix: ' <' },
    });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, groupMessage('@bot 你好'), channel);
    assert.deepEqual(channel.texts, ['> @张三\necho: 你好 <']);
  });

  test('no @name where the platform shows whom the reply answers (replyQuotesSender), nor with no_need_at', async () => {
    const { pipeline } = await createHarness({ openaiUrl: openai.url, config: { ...groupConfig, group_chat_reply_prefix: '> ' } });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, groupMessage('@bot 你好', { replyQuotesSender: true }), channel);
    assert.deepEqual(channel.texts, ['> echo: 你好']);
    const withoutAt = await createHarness({ openaiUrl: openai.url, config: { ...groupConfig, no_need_at: true } });
    await answerAndSend(withoutAt.pipeline, groupMessage('@bot 你好'), channel);
    assert.deepEqual(channel.texts, ['> echo: 你好', 'echo: 你好']);
  });

  test('nothing happens without a prefix, in other groups, or from black-listed senders', async () => {
    const { pipeline } = await createHarness({ openaiUrl: openai.url, config: { ...groupConfig, nick_name_black_list: ['王五'] } });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, groupMessage('你好'), channel);
    await answerAndSend(pipeline, groupMessage('@bot 你好', { groupId: 'wrkOther', groupName: '闲聊群' }), channel);
    await answerAndSend(pipeline, groupMessage('@bot 你好', { senderName: '王五' }), channel);
    assert.deepEqual(channel.texts, []);
    assert.equal(openai.chatRequests().length, 0);
  });

  test('keywords trigger without being stripped; @-mentions trigger unless group_at_off', async () => {
    const { pipeline } = await createHarness({ openaiUrl: openai.url, config: { ...groupConfig, group_chat_keyword: ['天气'] } });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, groupMessage('今天天气如何'), channel);
    await answerAndSend(pipeline, groupMessage('在吗', { isAt: true }), channel);
    assert.deepEqual(channel.texts, ['@张三\necho: 今天天气如何', '@张三\necho: 在吗']);
    const off = await createHarness({ openaiUrl: openai.url, config: { ...groupConfig, group_at_off: true } });
    await answerAndSend(off.pipeline, groupMessage('在吗', { isAt: true }), channel);
    assert.equal(channel.texts.length, 2);
  });

  test('members have their own sessions unless the group is in group_chat_in_one_session', async () => {
    const separate = await createHarness({ openaiUrl: openai.url, config: groupConfig });
    const channel = new RecordingChannel();
    await answerAndSend(separate.pipeline, groupMessage('@bot a', { senderId: 'u1' }), channel);
    await answerAndSend(separate.pipeline, groupMessage('@bot b', { senderId: 'u2' }), channel);
    assert.deepEqual(lastChat().messages, [{ role: 'user', content: 'b' }]);
    const shared = await createHarness({ openaiUrl: openai.url, config: { ...groupConfig, group_chat_in_one_session: ['测试群'] } });
    await answerAndSend(shared.pipeline, groupMessage('@bot a', { senderId: 'u1' }), channel);
    await answerAndSend(shared.pipeline, groupMessage('@bot b', { senderId: 'u2' }), channel);
    assert.equal(lastChat().messages.length, 3);
  });

  test('#chatid answers the group id in any group, so admins can whitelist it', async () => {
    const { pipeline } = await createHarness({ openaiUrl: openai.url, config: { group_name_white_list: [] } });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, groupMessage('#chatid', { groupId: 'wrkABC' }), channel);
    assert.match(channel.texts[0]!, /wrkABC/);
  });
});

describe('image requests and media', () => {
  test('after the trigger prefix, an image_create_prefix routes to the image generator', async () => {
    const prompts: string[] = [];
    const { pipeline } = await createHarness({
      openaiUrl: openai.url,
      config: { group_name_white_list: ['ALL_GROUP'] },
      images: { generate: async (prompt) => (prompts.push(prompt), { data: Buffer.from('png'), mimeType: 'image/png' }) },
    });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, groupMessage('@bot 画一只猫'), channel);
    await answerAndSend(pipeline, textMessage('draw a dog'), channel);
    assert.deepEqual(prompts, ['一只猫', 'a dog']);
    assert.deepEqual(
      channel.sent.map((s) => s.reply.type),
      ['image', 'image'],
    );
    assert.equal(openai.chatRequests().length, 0);
  });

  test('without a generator, an image request gets a clear answer', async () => {
    const { pipeline } = await createHarness({ openaiUrl: openai.url });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, textMessage('画一只猫'), channel);
    assert.deepEqual(channel.texts, ['画图功能没有配置。']);
  });

  test('voice is transcribed before the rules when speech_recognition is on', async () => {
    const heard: string[] = [];
    const speech = { transcribe: async (audio: Buffer, format: string) => (heard.push(`${format}:${audio.length}`), '今天星期几') };
    const { pipeline } = await createHarness({
      openaiUrl: openai.url,
      speech,
      config: { single_chat_prefix: ['bot'], group_name_white_list: ['ALL_GROUP'] },
    });
    const channel = new RecordingChannel();
    const voice = (extra = {}) =>
      textMessage('', { kind: 'voice', media: { format: 'amr', load: async () => Buffer.alloc(100) }, ...extra });
    await answerAndSend(pipeline, voice(), channel);
    assert.deepEqual(channel.texts, ['「今天星期几」\n\necho: 今天星期几'], 'private voice needs no prefix; the transcript is echoed');
    await answerAndSend(pipeline, voice({ chatType: 'group', groupId: 'g1' }), channel);
    assert.equal(channel.texts.length, 1, 'group voice is off by default (group_speech_recognition)');
    assert.deepEqual(heard, ['amr:100']);
  });
});

describe('plugins', () => {
  test('keyword answers fixed replies without asking the LLM', async () => {
    const { pipeline } = await createHarness({
      openaiUrl: openai.url,
      config: { plugins: ['keyword'], plugin_config: { keyword: { keywords: { 帮助: '发消息给我就行' } } } },
    });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, textMessage(' 帮助 '), channel);
    await answerAndSend(pipeline, textMessage('帮助我写诗'), channel);
    assert.deepEqual(channel.texts, ['发消息给我就行', 'echo: 帮助我写诗']);
    assert.equal(openai.chatRequests().length, 1);
  });

  test('banwords blocks incoming and masks outgoing words', async () => {
    const { pipeline } = await createHarness({
      openaiUrl: openai.url,
      config: { plugins: ['banwords'], plugin_config: { banwords: { words: ['secret', '坏词'] } } },
    });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, textMessage('tell me the SECRET'), channel);
    assert.deepEqual(channel.texts, ['你的消息包含不允许的词语，请修改后再发。']);
    assert.equal(openai.chatRequests().length, 0);
    openai.setChatResponder(() => '这是坏词和好词');
    await answerAndSend(pipeline, textMessage('hi'), channel);
    assert.equal(channel.texts[1], '这是**和好词');
  });

  test('banwords mask mode cleans the question before the LLM sees it; ignore drops silently', async () => {
    const masked = await createHarness({
      openaiUrl: openai.url,
      config: { plugins: ['banwords'], plugin_config: { banwords: { words: ['secret'], action: 'mask' } } },
    });
    const channel = new RecordingChannel();
    await answerAndSend(masked.pipeline, textMessage('my secret plan'), channel);
    assert.equal((lastChat().messages.at(-1) as { content: string }).content, 'my ****** plan');
    const ignoring = await createHarness({
      openaiUrl: openai.url,
      config: { plugins: ['banwords'], plugin_config: { banwords: { words: ['secret'], action: 'ignore', reply_action: 'ignore' } } },
    });
    await answerAndSend(ignoring.pipeline, textMessage('secret'), channel);
    assert.equal(channel.texts.length, 1);
  });

  test('plugins run by priority and BREAK_PASS stops the rest', async () => {
    const { pipeline } = await createHarness({
      openaiUrl: openai.url,
      config: {
        plugins: ['banwords', 'keyword'],
        plugin_config: { banwords: { words: ['hello'] }, keyword: { keywords: { hello: 'keyword wins' } } },
      },
    });
    const channel = new RecordingChannel();
    await answerAndSend(pipeline, textMessage('hello'), channel);
    assert.deepEqual(channel.texts, ['keyword wins'], 'keyword (900) runs before banwords (100), like CoW');
  });
});
