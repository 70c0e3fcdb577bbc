import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type FakeDify, startFakeDify } from '../../../fakes/fake-dify.js';
import { WeComAppClient } from '../../../fakes/wecom-client.js';
import { BOT_ID, contentOf, OTHER_BOT_ID, OTHER_BOT_SECRET, startWsBot } from '../../support/aibot-ws-harness.js';
import { KF, startKf } from '../../support/kf-harness.js';
import { AGENT_ID, CORP_ID, startWeworktop, type WeworktopHarness } from '../../support/weworktop-harness.js';

type Sent = { agentId: string | number; touser: string; msgtype: string; body: Record<string, unknown> };
const sent = (h: WeworktopHarness) =>
  (h.wecom.sent as Sent[]).map((s) => `${s.agentId}:${(s.body[s.msgtype] as { content?: string })?.content ?? `<${s.msgtype}>`}`);

const SECOND = '1000003';
const KEY2 = 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR';
let stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.reverse()) await stop();
  stops = [];
});

async function difyServer(): Promise<FakeDify> {
  const dify = await startFakeDify({ apps: { 'app-sales': { mode: 'chat' } } });
  stops.push(() => dify.close());
  return dify;
}

const secondApp = (agent: Record<string, unknown>) => ({
  extraApps: [{ agentId: SECOND, secret: 'second-app-secret' }],
  weworktop: { agents: [{ agent_id: Number(SECOND), corp_secret: 'second-app-secret', token: 'token2', aes_key: KEY2, ...agent }] },
});

const clientOf = (h: WeworktopHarness) =>
  new WeComAppClient({
    url: `${h.baseUrl}/wework_callback/${SECOND}`,
    token: 'token2',
    encodingAesKey: KEY2,
    corpId: CORP_ID,
    agentId: SECOND,
  });

describe('one assistant per app or bot', () => {
  test('two apps in one process answer with two backends: the primary through OpenAI, agents[0] through Dify', async () => {
    const dify = await difyServer();
    const h = await startWeworktop(
      secondApp({ bot_type: 'dify', dify_api_key: 'app-sales', dify_api_base: dify.url, single_chat_prefix: ['销售'] }),
    );
    stops.push(() => h.stop());
    await h.client.sendText('zhangsan', '你好');
    await h.wecom.waitForSent(1, 5000);
    await clientOf(h).sendText('zhangsan', '销售 你好');
    await clientOf(h).sendText('zhangsan', '没有前缀');
    await h.wecom.waitForSent(2, 5000);
    assert.deepEqual(sent(h).sort(), [`${AGENT_ID}:echo: 你好`, `${SECOND}:dify: 你好`]);
    assert.equal(h.openai.chatRequests().length, 1);
    assert.equal(dify.requests('/chat-messages').length, 1, "the second app's own trigger prefix, on the main thread too");
    assert.equal(dify.requests('/chat-messages')[0]?.body.user, `app:${SECOND}|zhangsan`, 'conversations never cross apps');
    const lines = h.logs.filter((line) => line.includes('assistant of'));
    assert.ok(
      lines.some((line) => line.includes(`app ${AGENT_ID}:`) && line.includes('model')),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((line) => line.includes(`app ${SECOND}: a Dify chat app at ${dify.url}`)),
      lines.join('\n'),
    );
    assert.ok(!h.logs.some((line) => line.includes('app-sales')), 'no key in the log');
  });

  test("an app's model and prompt override the top level; unset keys fall back to it", async () => {
    const h = await startWeworktop({
      ...secondApp({ model: 'gpt-4o', character_desc: '你是销售助手' }),
      config: { character_desc: '全局提示' },
    });
    stops.push(() => h.stop());
    await clientOf(h).sendText('lisi', '报价');
    await h.client.sendText('lisi', '报价');
    await h.wecom.waitForSent(2, 5000);
    const requests = h.openai.chatRequests();
    const bySystem = new Map(requests.map((r) => [String(r.messages[0]?.content), r.model]));
    assert.equal(bySystem.get('你是销售助手'), 'gpt-4o');
    const global = bySystem.get('全局提示');
    assert.ok(global && global !== 'gpt-4o', JSON.stringify([...bySystem]));
  });

  test('an override that is wrong stops the start with the key as written', async () => {
    await assert.rejects(startWeworktop(secondApp({ model: 5 })), /weworktop\.agents\[0\]\.model/);
    await assert.rejects(startWeworktop(secondApp({ port: 9000 })), /weworktop\.agents\[0\]\.port: expected a key an app or bot may set/);
    await assert.rejects(
      startWeworktop(secondApp({ bot_type: 'dify' })),
      /weworktop\.agents\[0\]\.dify_api_key: expected your Dify app's API key/,
    );
    await assert.rejects(startWeworktop(secondApp({ bot_type: 'difyy' })), /weworktop\.agents\[0\]\.bot_type: expected one of/);
    const commented = await startWeworktop(secondApp({ _note: 'keys starting with "_" are comments' }));
    await commented.stop();
  });

  test('a bots[] entry answers with its own assistant; the bot in weworktop.bot with the one its section sets', async () => {
    const dify = await difyServer();
    const h = await startWsBot({
      app: false,
      bot: { model: 'bot-model' },
      weworktop: {
        bots: [{ bot_id: OTHER_BOT_ID, secret: OTHER_BOT_SECRET, bot_type: 'dify', dify_api_key: 'app-sales', dify_api_base: dify.url }],
      },
    });
    stops.push(() => h.stop());
    await h.ws.waitFor(() => h.ws.subscribed(BOT_ID) && h.ws.subscribed(OTHER_BOT_ID), 'both subscriptions');
    const first = h.text('wangwu', '甲');
    const second = h.text('wangwu', '乙', { bot: OTHER_BOT_ID });
    assert.equal(contentOf(await h.finished(first)), 'echo: 甲');
    assert.equal(contentOf(await h.finished(second)), 'dify: 乙');
    assert.equal(h.openai.chatRequests()[0]?.model, 'bot-model');
    assert.equal(dify.requests('/chat-messages')[0]?.body.user, `bot:${OTHER_BOT_ID}|wangwu`);
    assert.ok(h.logs.some((line) => line.includes(`assistant of AI bot ${BOT_ID}:`)));
  });

  test('微信客服 answers with the assistant weworktop.kf sets; the app keeps its own', async () => {
    const dify = await difyServer();
    const kf = await startKf({ kf: { bot_type: 'dify', dify_api_key: 'app-sales', dify_api_base: dify.url } });
    stops.push(() => kf.stop());
    await kf.say('wmAlice', '客服你好');
    await kf.wecom.waitForKfSent(1, 5000);
    await kf.client.sendText('zhangsan', '应用你好');
    await kf.wecom.waitForSent(1, 5000);
    const kfText = (kf.wecom.kf.sent[0]?.body as { text?: { content?: string } }).text?.content;
    assert.equal(kfText, 'dify: 客服你好');
    assert.equal(dify.requests('/chat-messages')[0]?.body.user, `kf:${KF}|wmAlice`);
    assert.deepEqual(sent(kf), [`${AGENT_ID}:echo: 应用你好`]);
    assert.ok(!kf.logs.some((line) => /not used by weworktop/.test(line) && line.includes('kf.bot_type')), 'no unknown-key warning');
  });
});
