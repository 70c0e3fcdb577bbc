import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeOpenAI } from '../../../../fakes/fake-openai.js';
import {
  BOT_ID,
  contentOf,
  GROUP,
  startFakeBots,
  startWsBot,
  type WsHarness,
  type WsHarnessOptions,
} from '../../../support/aibot-ws-harness.js';
import { eventually } from '../../../support/weworktop-harness.js';

let harness: WsHarness | undefined;
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function start(options: WsHarnessOptions = {}): Promise<WsHarness> {
  harness = await startWsBot(options);
  await harness.ws.waitFor(() => harness!.ws.subscribed(BOT_ID), 'the subscription');
  return harness;
}

const subscriptions = (h: WsHarness) => h.ws.events.filter((event) => event.event === 'subscribed').length;
const logged = (h: WsHarness, text: string) => h.logs.filter((line) => line.includes(text));

describe('AI bot long connection: nothing lost, nothing twice', () => {
  /** Fakes that outlive a restart of the app. */
  async function lastingFakes() {
    const [ws, openai] = [await startFakeBots(), await startFakeOpenAI()];
    cleanup.push(
      () => ws.close(),
      () => openai.close(),
    );
    return { ws, openai };
  }

  test('a message WeCom pushes again after a reconnect, or after a restart, is not answered again', async () => {
    const { ws, openai } = await lastingFakes();
    const h = await start({ ws, openai });
    assert.equal(contentOf(await h.finished(h.text('zhangsan', '只答一次', { msgid: 'msg-dup-1' }))), 'echo: 只答一次');
    h.ws.closeConnection(BOT_ID);
    await h.ws.waitFor(() => subscriptions(h) === 2, 'the reconnect', 3000);
    const again = h.text('zhangsan', '只答一次', { msgid: 'msg-dup-1' });
    await sleep(300);
    assert.deepEqual(h.ws.replies(again), []);
    // The restart reuses the inbox and the fakes.
    await h.stop();
    harness = await startWsBot({ ws, openai, dataDir: h.dataDir });
    await ws.waitFor(() => subscriptions(harness!) === 3, 'the subscription after the restart');
    const afterRestart = harness.text('zhangsan', '只答一次', { msgid: 'msg-dup-1' });
    const other = harness.text('zhangsan', '新问题');
    assert.equal(contentOf(await harness.finished(other)), 'echo: 新问题');
    assert.deepEqual(ws.replies(afterRestart), []);
    assert.equal(openai.chatRequests().length, 2, 'one LLM call for the message, one for the new one');
  });

  test('a stream frame refused as expired (846608) is delivered whole with aibot_send_msg to the group', async () => {
    const h = await start();
    h.ws.streamWindowMs = 250;
    const answer = '这是一段慢慢写出来的回答，写到一半流就过期了，剩下的必须通过主动消息发出去。';
    h.openai.setChatResponder(() => answer);
    h.openai.setStreaming({ chunkChars: 2, chunkDelayMs: 60 });
    const reqId = h.text('zhangsan', '@bot 慢慢说', { chatId: GROUP });
    const [sent] = await h.proactive(1, 8000);
    assert.deepEqual(sent, { chatid: GROUP, chat_type: 2, content: answer });
    assert.ok(h.ws.replies(reqId).length >= 1, 'the stream had begun');
    assert.ok(
      h.ws.frames.some((seen) => seen.frame.headers.req_id === reqId && seen.errcode === 846608),
      'WeCom refused a frame as expired',
    );
    await eventually(() => assert.equal(logged(h, 'route=aibot_send_msg').length, 1, 'the route in the log'));
    await sleep(200);
    assert.equal(h.ws.proactive().length, 1, 'delivered once');
  });

  test('error acks: a refused stream goes proactive, a send_msg that may pass (-1) is retried; the answer arrives once', async () => {
    const h = await start({ config: { retry_delay_ms: 100 } });
    h.ws.failNext('aibot_respond_msg', 846605, 'invalid req_id', 10);
    h.ws.failNext('aibot_send_msg', -1, 'system error');
    h.text('zhangsan', '@bot 重试一下', { chatId: GROUP });
    const [sent] = await h.proactive(1, 5000);
    assert.deepEqual(sent, { chatid: GROUP, chat_type: 2, content: 'echo: 重试一下' });
    await eventually(() =>
      assert.ok(
        logged(h, 'the stream can no longer be written').some((line) => line.includes('errcode 846605')),
        'the refusal is logged with its code',
      ),
    );
    assert.ok(
      logged(h, 'will retry').some((line) => line.includes('errcode -1')),
      h.logs.join(''),
    );
    await sleep(300);
    assert.equal(h.ws.proactive().length, 1);
    assert.equal(h.openai.chatRequests().length, 1);
  });

  test('a message left pending by a restart is answered after it proactively (its req_id is gone), to the user of the DM', async () => {
    const { ws, openai } = await lastingFakes();
    const h = await start({ ws, openai, config: { shutdown_timeout: 1 } });
    openai.setLatency(2500);
    const reqId = h.text('lisi', '重启前的问题');
    await eventually(() => assert.equal(openai.chatRequests().length, 1, 'the LLM was asked'));
    await h.stop();
    openai.setLatency(0);
    harness = await startWsBot({ ws, openai, dataDir: h.dataDir });
    const [sent] = await harness.proactive(1, 8000);
    assert.deepEqual(sent, { chatid: 'lisi', chat_type: 1, content: 'echo: 重启前的问题' });
    assert.equal(ws.replies(reqId).filter((frame) => (frame.body?.stream as { finish?: boolean } | undefined)?.finish).length, 0);
  });

  test('a shutdown keeps the connection until the answers in flight went out on it', async () => {
    const { ws, openai } = await lastingFakes();
    const h = await start({ ws, openai, config: { shutdown_timeout: 5 } });
    openai.setLatency(600);
    const reqId = h.text('zhaoliu', '关机前的问题');
    await eventually(() => assert.equal(openai.chatRequests().length, 1, 'the LLM was asked'));
    await h.stop();
    harness = undefined;
    assert.equal(contentOf(ws.replies(reqId).at(-1)!), 'echo: 关机前的问题', 'streamed and finished before the close');
    assert.ok(!ws.subscribed(BOT_ID), 'the connection is closed once stopped');
  });

  test('the socket down when a group answer is ready: it waits, fails for a retry, and goes out proactively after the reconnect', async () => {
    const h = await start({ bot: { heartbeat_seconds: 1 }, config: { retry_delay_ms: 200 } });
    h.openai.setLatency(300);
    h.text('zhangsan', '@bot 断线时的问题', { chatId: GROUP });
    await eventually(() => assert.equal(h.openai.chatRequests().length, 1, 'the LLM was asked'));
    h.ws.setRefuseConnections(true);
    h.ws.closeConnection(BOT_ID);
    await eventually(() => assert.ok(logged(h, 'will retry').length >= 1, 'a retry was scheduled'), 6000);
    h.ws.setRefuseConnections(false);
    const [sent] = await h.proactive(1, 15_000);
    assert.deepEqual(sent, { chatid: GROUP, chat_type: 2, content: 'echo: 断线时的问题' });
    assert.equal(h.wecom.sent.length, 0, 'a group answer never goes through the app');
    assert.equal(h.openai.chatRequests().length, 1, 'the stored answer is delivered, the LLM is not asked again');
  });

  test('bot first, app fallback: a DM answer the bot cannot deliver in time goes through the self-built app, and the log says so', async () => {
    const h = await start({ bot: { heartbeat_seconds: 1 } });
    h.openai.setLatency(300);
    h.text('wangwu', '私聊断线');
    await eventually(() => assert.equal(h.openai.chatRequests().length, 1, 'the LLM was asked'));
    h.ws.setRefuseConnections(true);
    h.ws.closeConnection(BOT_ID);
    const [message] = await h.wecom.waitForSent(1, 8000);
    assert.equal(message!.touser, 'wangwu');
    assert.equal((message!.body.text as { content: string }).content, 'echo: 私聊断线');
    await eventually(() => assert.equal(logged(h, 'AI bot answer delivered through the self-built app').length, 1, 'the route in the log'));
    assert.match(logged(h, 'through the self-built app')[0]!, /route="?app message\/send/);
    assert.equal(h.ws.proactive().length, 0);
  });
});
