import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BOT_ID,
  BOT_SECRET,
  contentOf,
  GROUP,
  OTHER_BOT_ID,
  OTHER_BOT_SECRET,
  startWsBot,
  type WsHarness,
} from '../../support/aibot-ws-harness.js';
import { writeConfigFile } from '../../support/app-process.js';
import { API_TOKEN, postPush, pushStatus, sendCommand } from '../../support/push-client.js';
import { startRecordingServer } from '../../support/recording-server.js';
import { AES_KEY, eventually, startWeworktop, TOKEN } from '../../support/weworktop-harness.js';

describe('push API: a group chat through the AI bot long connection (to.chat)', () => {
  let h: WsHarness;
  before(async () => {
    h = await startWsBot({ config: { api_token: API_TOKEN, retry_delay_ms: 20 }, app: false });
    await h.ws.waitFor(() => h.ws.subscribed(BOT_ID), 'the subscription');
  });
  after(() => h.stop());

  it('sends the text with aibot_send_msg to the chat, split at 20480 bytes, and reports it sent', async () => {
    const answer = await postPush(h.baseUrl, { to: { chat: GROUP }, markdown: '**release** 1.4 is out' });
    assert.equal(answer.status, 202);
    const [frame] = await h.proactive(1);
    assert.deepEqual(frame, { chatid: GROUP, chat_type: 2, content: '**release** 1.4 is out' });
    await eventually(async () => assert.equal((await pushStatus(h.baseUrl, String(answer.body.id))).body.status, 'sent', 'sent'));
    const long = Array.from({ length: 1500 }, (_, i) => `构建 ${i} 通过`).join('\n');
    await postPush(h.baseUrl, { to: { chat: GROUP }, text: long });
    const parts = await h.proactive(2);
    for (const part of parts) assert.ok(Buffer.byteLength(part.content) <= 20480, 'fits');
    assert.equal(parts.map((part) => part.content).join('\n'), long);
  });

  it('fails with the errcode WeCom acked', async () => {
    h.ws.failNext('aibot_send_msg', 40058, 'invalid chatid');
    const answer = await postPush(h.baseUrl, { to: { chat: 'wrkNoSuchChat' }, text: 'x' });
    await eventually(async () => {
      const status = await pushStatus(h.baseUrl, String(answer.body.id));
      assert.equal(status.body.status, 'failed', 'failed');
      assert.deepEqual(status.body.error, { errcode: 40058, errmsg: 'invalid chatid' });
    });
  });
});

it('refuses to.chat with a clear 400 when the AI bot runs in webhook mode (WeCom has no proactive send there)', async () => {
  const h = await startWeworktop({ config: { api_token: API_TOKEN }, weworktop: { bot: { token: TOKEN, aes_key: AES_KEY } } });
  try {
    const answer = await postPush(h.baseUrl, { to: { chat: GROUP }, text: 'x' });
    assert.equal(answer.status, 400);
    assert.match(String(answer.body.error), /^to\.chat: the AI bot in webhook mode cannot send first/);
  } finally {
    await h.stop();
  }
});

describe('push API: bot_id chooses the AI bot that sends to the chat', () => {
  let h: WsHarness;
  before(async () => {
    h = await startWsBot({
      config: { api_token: API_TOKEN, retry_delay_ms: 20 },
      app: false,
      weworktop: { bots: [{ bot_id: OTHER_BOT_ID, secret: OTHER_BOT_SECRET }] },
    });
    await h.ws.waitFor(() => h.ws.subscribed(BOT_ID) && h.ws.subscribed(OTHER_BOT_ID), 'both subscriptions');
  });
  after(() => h.stop());

  it("goes down the named bot's connection; without bot_id, the first bot's", async () => {
    assert.equal((await postPush(h.baseUrl, { to: { chat: GROUP }, bot_id: OTHER_BOT_ID, text: 'from the second' })).status, 202);
    assert.equal((await postPush(h.baseUrl, { to: { chat: GROUP }, text: 'from the first' })).status, 202);
    const seen = await h.ws.waitFor(
      () => h.ws.proactive(OTHER_BOT_ID).length === 1 && h.ws.proactive(BOT_ID).length === 1 && h.ws,
      'one push on each bot',
    );
    assert.equal(contentOf(seen.proactive(OTHER_BOT_ID)[0]!), 'from the second');
    assert.equal(contentOf(seen.proactive(BOT_ID)[0]!), 'from the first');
  });

  it('refuses an unknown bot_id, and bot_id with a target that is not a chat, with a 400 naming the field', async () => {
    const unknown = await postPush(h.baseUrl, { to: { chat: GROUP }, bot_id: 'aibNoSuchBot', text: 'x' });
    assert.equal(unknown.status, 400);
    assert.match(String(unknown.body.error), /^bot_id: no AI bot aibNoSuchBot on a long connection \(configured: /);
    const notChat = await postPush(h.baseUrl, { to: { user: 'alice' }, bot_id: BOT_ID, text: 'x' });
    assert.equal(notChat.status, 400);
    assert.match(String(notChat.body.error), /^bot_id: .*only with to\.chat/);
  });
});

describe('weworktop send --to chat: through the running server', () => {
  let h: WsHarness;
  before(async () => {
    h = await startWsBot({ config: { api_token: API_TOKEN, retry_delay_ms: 20 }, app: false });
    await h.ws.waitFor(() => h.ws.subscribed(BOT_ID), 'the subscription');
  });
  after(() => h.stop());

  /** `weworktop send` with a config naming the server's port (and api_token unless told otherwise). */
  const send = async (core: Record<string, unknown>, ...args: string[]) => {
    const configFile = writeConfigFile(
      {
        host: '127.0.0.1',
        port: Number(new URL(h.baseUrl).port),
        api_token: API_TOKEN,
        ...core,
        weworktop: { bot: { bot_id: BOT_ID, secret: BOT_SECRET, ws_url: 'ws://127.0.0.1:9' } },
      },
      'weworktop-send-chat-',
    );
    return sendCommand(configFile, ...args);
  };

  it('posts the push to the server, waits for its outcome, and exits 0 once WeCom took it', async () => {
    const { code, output } = await send({}, '--to', `chat:${GROUP}`, '--text', 'nightly build ok');
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`^sent to chat:${GROUP} \\(push [0-9a-f-]+\\)\\n$`));
    const [frame] = await h.proactive(1);
    assert.equal(frame?.content, 'nightly build ok');
  });

  it("exits 1 with WeCom's words when the push failed", async () => {
    h.ws.failNext('aibot_send_msg', 40058, 'invalid chatid');
    const { code, output } = await send({}, '--to', 'chat:wrkNoSuchChat', '--text', 'x');
    assert.equal(code, 1, output);
    assert.match(output, /^send failed: errcode 40058 invalid chatid/);
  });

  it('exits 2 without api_token, 1 when no server answers on the port', async () => {
    const noToken = await send({ api_token: '' }, '--to', `chat:${GROUP}`, '--text', 'x');
    assert.equal(noToken.code, 2, noToken.output);
    assert.match(noToken.output, /needs api_token/);
    const noServer = await send({ port: 9 }, '--to', `chat:${GROUP}`, '--text', 'x');
    assert.equal(noServer.code, 1, noServer.output);
    assert.match(noServer.output, /no weworktop server answers at http:\/\/127\.0\.0\.1:9\/api\/messages/);
  });

  it('exits 1 with one line when the server stops answering while it waits', async () => {
    // Takes the push, then drops every status request (a server stopped or restarting meanwhile).
    const server = await startRecordingServer((request, res) => {
      if (request.method === 'POST')
        return void res.writeHead(202, { 'content-type': 'application/json' }).end('{"id":"p-1","status":"queued"}');
      res.socket?.destroy();
    });
    try {
      const { code, output } = await send({ port: Number(new URL(server.base).port) }, '--to', `chat:${GROUP}`, '--text', 'x');
      assert.equal(code, 1, output);
      assert.match(output, /^send failed: the server stopped answering while push p-1 was queued there \(.+\)\n$/);
    } finally {
      server.close();
    }
  });
});
