import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TINY_PNG } from '../../../../fakes/fake-openai.js';
import {
  BOT_ID,
  BOT_SECRET,
  contentOf,
  GROUP,
  OTHER_BOT_ID,
  startWsBot,
  type WsHarness,
  type WsHarnessOptions,
} from '../../../support/aibot-ws-harness.js';
import { eventually } from '../../../support/weworktop-harness.js';

let harness: WsHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function start(options: WsHarnessOptions = {}): Promise<WsHarness> {
  harness = await startWsBot(options);
  await harness.ws.waitFor(() => harness!.ws.subscribed(BOT_ID), 'the subscription');
  return harness;
}

type Stream = { id: string; finish: boolean; content: string };
const streamOf = (frame: { body?: Record<string, unknown> }) => frame.body?.stream as Stream;

describe('AI bot long connection: subscribe and answers', () => {
  test('a config with only the bot (no app, no public URL) starts, subscribes with bot_id and secret, says so, and is ready', async () => {
    const h = await start({ app: false });
    const subscribe = h.ws.frames.find((seen) => seen.frame.cmd === 'aibot_subscribe')!.frame;
    assert.deepEqual(subscribe.body, { bot_id: BOT_ID, secret: BOT_SECRET });
    assert.match(subscribe.headers.req_id, /^aibot_subscribe_\d+_[0-9a-f]{8}$/);
    await eventually(() =>
      assert.ok(
        h.logs.some((line) => line.includes(`aibot ws: connected bot_id=${BOT_ID}`)),
        'the start-up line',
      ),
    );
    assert.ok(!h.logs.some((line) => line.includes(BOT_SECRET)), 'the secret is never logged');
    assert.equal((await fetch(`${h.baseUrl}/healthz`)).status, 200);
    const ready = await fetch(`${h.baseUrl}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    assert.equal(
      (await fetch(`${h.baseUrl}/wework_callback`, { method: 'POST', body: '<xml/>' })).status,
      404,
      'no app route without an app',
    );
  });

  test('a DM is answered in a stream: growing text at most ~3 frames a second, one stream id, then finish with the whole answer', async () => {
    const h = await start({ app: false });
    const answer = '你好！这是一段会被分成很多块慢慢流式输出的回答，用来检查长连接上的流式帧。';
    h.openai.setChatResponder(() => answer);
    h.openai.setStreaming({ chunkChars: 2, chunkDelayMs: 40 });
    const reqId = h.text('zhangsan', '你好');
    const last = await h.finished(reqId);
    const frames = h.ws.replies(reqId).map(streamOf);
    const seen = h.ws.frames.filter((frame) => frame.frame.headers.req_id === reqId);
    assert.equal(streamOf(last).content, answer);
    assert.ok(frames.length >= 3, `the answer grew in several frames: ${frames.length}`);
    assert.equal(new Set(frames.map((frame) => frame.id)).size, 1, 'one stream id');
    assert.deepEqual(
      frames.map((frame) => frame.finish),
      [...frames.slice(1).map(() => false), true],
    );
    for (let i = 1; i < frames.length; i++)
      assert.ok(frames[i]!.content.startsWith(frames[i - 1]!.content), 'each frame carries the whole text so far');
    const partialTimes = seen.filter((frame) => !streamOf(frame.frame).finish).map((frame) => frame.at);
    for (let i = 1; i < partialTimes.length; i++)
      assert.ok(partialTimes[i]! - partialTimes[i - 1]! >= 300, `partial frames ≥ 300 ms apart: ${partialTimes.join(',')}`);
    assert.ok(frames.length < answer.length / 2, 'not a frame per token');
    assert.equal(h.ws.proactive().length, 0);
  });

  test('"@bot 你好" in a whitelisted group streams the answer; the mention is stripped; quotes reach the LLM', async () => {
    const h = await start();
    const reqId = h.text('zhangsan', '@bot 你好', { chatId: GROUP });
    assert.equal(contentOf(await h.finished(reqId)), 'echo: 你好');
    const quoted = h.ws.pushMessage(BOT_ID, {
      chattype: 'group',
      chatid: GROUP,
      from: { userid: 'lisi' },
      msgtype: 'text',
      text: { content: '@bot 总结一下' },
      quote: { msgtype: 'text', text: { content: '今日测试情况' } },
    });
    assert.equal(contentOf(await h.finished(quoted)), 'echo: 总结一下\n- - - - - - -\n引用：「今日测试情况」');
    assert.equal(h.wecom.sent.length, 0, 'nothing through the app');
  });

  test('a group off the white list gets nothing; #chatid is answered there', async () => {
    const h = await start();
    const silent = h.text('zhangsan', '@bot hello?', { chatId: 'wrkSFfCgAAothergroup' });
    const asked = h.text('zhangsan', '@bot #chatid', { chatId: 'wrkSFfCgAAothergroup' });
    assert.match(contentOf(await h.finished(asked)), /wrkSFfCgAAothergroup/);
    await sleep(100);
    assert.deepEqual(h.ws.replies(silent), []);
    assert.equal(h.openai.chatRequests().length, 0);
    assert.ok(h.logs.some((line) => line.includes('not for the bot')));
  });

  test('enter_chat gets the welcome on its own req_id; a fourth message while three answers run is told to wait', async () => {
    const h = await start({ weworktop: { welcome_message: '欢迎使用！' } });
    const event = h.ws.pushEvent(BOT_ID, 'enter_chat', { from: { userid: 'zhangsan' } });
    const welcome = await h.ws.waitFor(() => h.ws.replies(event)[0], 'the welcome');
    assert.deepEqual([welcome.cmd, welcome.body], ['aibot_respond_welcome_msg', { msgtype: 'text', text: { content: '欢迎使用！' } }]);
    h.openai.setLatency(500);
    const running = [0, 1, 2].map((i) => h.text('zhangsan', `q${i}`));
    await eventually(() => assert.equal(h.openai.chatRequests().length >= 1, true, 'the answers started'));
    const fourth = h.text('zhangsan', 'q3');
    const notice = streamOf(await h.finished(fourth));
    assert.match(notice.content, /还在回答/);
    for (const reqId of running) assert.match(contentOf(await h.finished(reqId)), /^echo: q\d$/);
    const after = h.text('zhangsan', 'q4');
    assert.equal(contentOf(await h.finished(after)), 'echo: q4', "done answers free the user's slots");
  });

  test('frames that are not JSON, lack a req_id or carry an unknown cmd are logged and ignored; the connection stays', async () => {
    const h = await start();
    h.ws.pushRaw(BOT_ID, 'not json at all');
    h.ws.pushRaw(BOT_ID, JSON.stringify({ cmd: 'aibot_msg_callback', body: {} }));
    h.ws.pushRaw(BOT_ID, JSON.stringify({ cmd: 'aibot_future_thing', headers: { req_id: 'x1' }, body: {} }));
    h.ws.pushRaw(
      BOT_ID,
      JSON.stringify({
        cmd: 'aibot_msg_callback',
        headers: { req_id: 'x2' },
        body: { msgid: 'm-bad', msgtype: 'text', text: { content: 5 } },
      }),
    );
    const reqId = h.text('zhangsan', 'still there?');
    assert.equal(contentOf(await h.finished(reqId)), 'echo: still there?');
    for (const reason of ['frame not JSON', 'frame no headers.req_id', 'unknown cmd "aibot_future_thing"', 'not an AI bot callback']) {
      assert.ok(
        h.logs.some((line) => line.includes(reason) && line.includes('ignored')),
        reason,
      );
    }
    assert.equal(h.ws.events.filter((event) => event.event === 'open').length, 1, 'no reconnect');
  });

  test('two bots in one process: each keeps its own conversations with the same user', async () => {
    const h = await start({
      weworktop: { bots: [{ bot_id: OTHER_BOT_ID, secret: 'long-connection-secret-0002' }] },
      config: { character_desc: '' },
    });
    await h.ws.waitFor(() => h.ws.subscribed(OTHER_BOT_ID), 'the second bot');
    await h.finished(h.text('zhangsan', '我叫张三'));
    await h.finished(h.text('zhangsan', '我是谁？', { bot: OTHER_BOT_ID }));
    await h.finished(h.text('zhangsan', '再说一次我是谁？'));
    const histories = h.openai.chatRequests().map((request) => request.messages.map((message) => message.content));
    assert.deepEqual(histories[1], ['我是谁？'], "the second bot knows nothing of the first one's talk");
    assert.deepEqual(histories[2], ['我叫张三', 'echo: 我叫张三', '再说一次我是谁？']);
  });

  test('an image DM: the URL is downloaded and decrypted with its own aeskey and shown to the model', async () => {
    const h = await start({ config: { image_understanding: true } });
    const media = h.ws.addMedia(TINY_PNG, 'photo.png');
    const reqId = h.ws.pushMessage(BOT_ID, { chattype: 'single', from: { userid: 'wujiu' }, msgtype: 'image', image: media });
    await h.finished(reqId);
    const question = h.openai.chatRequests()[0]!.messages.at(-1)!.content as Array<{ type: string; image_url?: { url: string } }>;
    assert.equal(question[1]!.image_url!.url, `data:image/jpeg;base64,${TINY_PNG.toString('base64')}`);
  });

  test('a generated image goes out by the three-step upload and is sent as the reply', async () => {
    const h = await start({ config: { image_create_prefix: ['画'] } });
    const reqId = h.text('zhangsan', '画 一只猫');
    const reply = await h.ws.waitFor(() => h.ws.replies(reqId).find((frame) => frame.body?.msgtype === 'image'), 'the image reply');
    const [upload] = h.ws.uploads;
    assert.deepEqual(upload!.data, TINY_PNG);
    assert.equal((reply.body!.image as { media_id: string }).media_id, upload!.mediaId);
    const commands = h.ws.frames.map((seen) => seen.frame.cmd).filter((cmd) => cmd?.startsWith('aibot_upload_media'));
    assert.deepEqual(commands, ['aibot_upload_media_init', 'aibot_upload_media_chunk', 'aibot_upload_media_finish']);
  });
});
