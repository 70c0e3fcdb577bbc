import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type FakeDify, startFakeDify } from '../../../../fakes/fake-dify.js';
import { TestRedisServer } from '../../../support/redis-server.js';
import { eventually, startWeworktop, type WeworktopHarness } from '../../../support/weworktop-harness.js';

type Sent = { touser: string; msgtype: string; body: Record<string, unknown> };
const sentTexts = (h: WeworktopHarness) =>
  (h.wecom.sent as Sent[]).map((s) => (s.body[s.msgtype] as { content?: string })?.content ?? `<${s.msgtype}>`);

const KEY = 'app-chat-key';
let harnesses: WeworktopHarness[] = [];
let dify: FakeDify | undefined;
let afterFakes: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const h of harnesses) await h.stop();
  harnesses = [];
  for (const close of afterFakes) await close();
  afterFakes = [];
  await dify?.close();
  dify = undefined;
});

async function start(options: { dataDir?: string; harness?: WeworktopHarness; config?: Record<string, unknown> } = {}) {
  dify ??= await startFakeDify();
  const h = await startWeworktop({
    config: { bot_type: 'dify', dify_api_key: KEY, dify_api_base: dify.url, ...options.config },
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.harness ? { wecom: options.harness.wecom, openai: options.harness.openai } : {}),
  });
  harnesses.push(h);
  return h;
}

const chats = () => dify!.requests('/chat-messages').map((entry) => entry.body);

describe('a Dify chat app answers WeCom users', () => {
  test("a private message goes to /chat-messages streaming, with the user and the app's key, and Dify's answer is sent", async () => {
    const h = await start();
    await h.client.sendText('zhangsan', '你好');
    await h.wecom.waitForSent(1, 5000);
    assert.deepEqual(sentTexts(h), ['dify: 你好']);
    const [request] = dify!.requests('/chat-messages');
    assert.equal(request?.authorization, `Bearer ${KEY}`);
    assert.equal(request?.body.response_mode, 'streaming');
    assert.equal(request?.body.user, 'zhangsan');
    assert.deepEqual(request?.body.inputs, {});
    assert.ok(!('conversation_id' in (request?.body ?? {})), 'a new conversation omits the key');
    assert.equal(h.openai.chatRequests().length, 0, 'the OpenAI backend is not asked');
    assert.ok(!h.logs.some((line) => line.includes(KEY)), 'the key never reaches the log');
  });

  test("the second message continues Dify's conversation, and so does the first after a restart", async () => {
    const first = await start();
    await first.client.sendText('zhangsan', '一');
    await first.wecom.waitForSent(1, 5000);
    await first.client.sendText('zhangsan', '二');
    await first.wecom.waitForSent(2, 5000);
    const conversation = dify!.conversations()[0]!.id;
    assert.equal(dify!.conversations().length, 1);
    assert.equal(chats()[1]?.conversation_id, conversation);
    // The restart: the app stops, the fakes stay (the second start reuses them), the data_dir is kept.
    harnesses = harnesses.filter((h) => h !== first);
    await first.app.stop();
    const second = await start({ dataDir: first.dataDir, harness: first });
    afterFakes.push(
      () => first.wecom.close(),
      () => first.openai.close(),
    );
    await second.client.sendText('zhangsan', '三');
    await second.wecom.waitForSent(3, 5000);
    assert.equal(chats()[2]?.conversation_id, conversation, 'the restart kept the conversation');
    assert.equal(dify!.conversations().length, 1);
  });

  test('store "redis": the second message continues the conversation the first began', async () => {
    const redis = await TestRedisServer.start();
    afterFakes.push(() => redis.stop());
    const h = await start({ config: { store: 'redis', redis_url: redis.url } });
    await h.client.sendText('zhangsan', '一');
    await h.wecom.waitForSent(1, 5000);
    await h.client.sendText('zhangsan', '二');
    await h.wecom.waitForSent(2, 5000);
    assert.equal(dify!.conversations().length, 1);
    assert.equal(chats()[1]?.conversation_id, dify!.conversations()[0]!.id);
  });

  test('#清除记忆 deletes the conversation in Dify (for its user) and starts a new one', async () => {
    const h = await start();
    await h.client.sendText('zhangsan', '一');
    await h.wecom.waitForSent(1, 5000);
    const first = dify!.conversations()[0]!.id;
    await h.client.sendText('zhangsan', '#清除记忆');
    await h.wecom.waitForSent(2, 5000);
    await h.client.sendText('zhangsan', '二');
    await h.wecom.waitForSent(3, 5000);
    assert.equal(chats().length, 2, 'the command itself is not sent to Dify');
    assert.ok(!('conversation_id' in chats()[1]!), 'after clearing, a new conversation');
    const deletes = dify!.requests(`/conversations/${first}`);
    assert.equal(deletes.length, 1);
    assert.deepEqual(deletes[0]!.body, { user: 'zhangsan' });
    assert.deepEqual(
      dify!.conversations().map((conversation) => conversation.id === first),
      [false],
      'the old one is gone in Dify; the new one stays',
    );
  });

  test('#清除记忆 still clears ours when Dify no longer has the conversation', async () => {
    const h = await start();
    await h.client.sendText('zhangsan', '一');
    await h.wecom.waitForSent(1, 5000);
    dify!.deleteConversation(dify!.conversations()[0]!.id);
    await h.client.sendText('zhangsan', '#清除记忆');
    await h.wecom.waitForSent(2, 5000);
    assert.equal(sentTexts(h)[1], '记忆已清除，我们重新开始吧。');
    assert.ok(!h.logs.some((line) => line.includes('could not be deleted')), 'a conversation already gone is no failure');
  });

  test('a conversation Dify no longer has is started again once, and the answer still comes', async () => {
    const h = await start();
    await h.client.sendText('zhangsan', '一');
    await h.wecom.waitForSent(1, 5000);
    dify!.deleteConversation(dify!.conversations()[0]!.id);
    await h.client.sendText('zhangsan', '二');
    await h.wecom.waitForSent(2, 5000);
    assert.deepEqual(sentTexts(h), ['dify: 一', 'dify: 二']);
    assert.equal(chats().length, 3);
    assert.ok(chats()[1]?.conversation_id && !('conversation_id' in chats()[2]!));
    await h.client.sendText('zhangsan', '三');
    await h.wecom.waitForSent(3, 5000);
    assert.equal(chats()[3]?.conversation_id, dify!.conversations()[0]!.id, 'the new id is kept');
    await eventually(() =>
      assert.ok(
        h.logs.some((line) => line.includes('starting a new one')),
        'logged',
      ),
    );
  });
});
