import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BotConnection } from '../../../../channels/weworktop/aibot-ws/bot-connection.js';
import { reconnectDelay } from '../../../../channels/weworktop/aibot-ws/reconnect-delay.js';
import { PendingAcks } from '../../../../channels/weworktop/aibot-ws/ws-acks.js';
import { parseFrame, streamFrame, type WsFrame } from '../../../../channels/weworktop/aibot-ws/ws-frames.js';
import { type FrameResult, isWsCall, type WsCall, WsLinkClient } from '../../../../channels/weworktop/aibot-ws/ws-link.js';
import { decryptWsMedia } from '../../../../channels/weworktop/aibot-ws/ws-media.js';
import { WsReplyStream } from '../../../../channels/weworktop/aibot-ws/ws-reply-stream.js';
import { UPLOAD_CHUNK_BYTES, uploadMedia } from '../../../../channels/weworktop/aibot-ws/ws-upload.js';
import { encryptMedia } from '../../../../fakes/fake-ws-media.js';
import type { ChannelLink } from '../../../../src/channel.js';
import { createLogger } from '../../../../src/logger.js';
import { BOT_ID, BOT_SECRET, startFakeBots } from '../../../support/aibot-ws-harness.js';

describe('reconnect delays', () => {
  test('1 s doubling to 30 s, each a random point in the upper half of its step', () => {
    const steps = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000];
    for (const [index, step] of steps.entries()) {
      assert.equal(
        reconnectDelay(index + 1, () => 0),
        step / 2,
        `try ${index + 1}, lowest`,
      );
      assert.equal(
        reconnectDelay(index + 1, () => 0.999_999),
        step,
        `try ${index + 1}, highest`,
      );
    }
    assert.equal(
      reconnectDelay(500, () => 1),
      30_000,
      'never past the cap',
    );
  });
});

describe('media of the long connection', () => {
  test('AES-256-CBC with IV = key[0:16], PKCS#7 to 32, for every pad length; Base64, URL-safe and hex keys', () => {
    const key = randomBytes(32);
    for (let length = 0; length <= 64; length++) {
      const data = randomBytes(length);
      assert.deepEqual(decryptWsMedia(encryptMedia(data, key), key.toString('base64')), data, `${length} bytes`);
    }
    const data = Buffer.from('图片的字节');
    const encrypted = encryptMedia(data, key);
    assert.deepEqual(decryptWsMedia(encrypted, key.toString('base64url')), data);
    assert.deepEqual(decryptWsMedia(encrypted, key.toString('base64').replace(/=+$/, '')), data);
    assert.deepEqual(decryptWsMedia(encrypted, key.toString('hex')), data);
  });

  test('another key, a cut file or a short key is an error, never garbage', () => {
    const encrypted = encryptMedia(Buffer.from('hello world'), randomBytes(32));
    assert.throws(() => decryptWsMedia(encrypted, randomBytes(32).toString('base64')), /PKCS#7|pad/);
    assert.throws(() => decryptWsMedia(encrypted.subarray(0, 20), randomBytes(32).toString('base64')), /multiple of 16/);
    assert.throws(() => decryptWsMedia(encrypted, randomBytes(16).toString('base64')), /16 bytes, not 32/);
  });
});

describe('frames', () => {
  test('what is not a frame is named, not thrown', () => {
    assert.deepEqual(parseFrame('{'), { invalid: 'not JSON' });
    assert.deepEqual(parseFrame('[1]'), { invalid: 'not a JSON object' });
    assert.deepEqual(parseFrame('{"cmd":"x"}'), { invalid: 'no headers.req_id' });
    assert.deepEqual(parseFrame('{"cmd":5,"headers":{"req_id":"a"}}'), { invalid: 'cmd is not a string' });
    assert.deepEqual(parseFrame('{"headers":{"req_id":"a"},"errcode":"0"}'), { invalid: 'errcode is not a number' });
    assert.deepEqual(parseFrame('{"headers":{"req_id":"a"},"errcode":0,"errmsg":"ok"}'), {
      headers: { req_id: 'a' },
      errcode: 0,
      errmsg: 'ok',
    });
  });

  test('frames sharing a req_id go one at a time, each on the ack of the one before; a close ends them all', async () => {
    const written: WsFrame[] = [];
    const acks = new PendingAcks((frame) => written.push(frame), 5000);
    const results = [1, 2, 3].map((n) => acks.request(streamFrame('req-1', 's', `${n}`, n === 3)));
    const other = acks.request(streamFrame('req-2', 's', 'x', true));
    assert.deepEqual(
      written.map((frame) => frame.headers.req_id),
      ['req-1', 'req-2'],
      'one in flight per req_id',
    );
    assert.ok(acks.settle({ headers: { req_id: 'req-1' }, errcode: 0, errmsg: 'ok' }));
    assert.equal(written.length, 3, 'the next frame went out on the ack');
    assert.ok(acks.settle({ headers: { req_id: 'req-1' }, errcode: 846608, errmsg: 'stream message update expired' }));
    acks.closeAll('closed by WeCom');
    assert.deepEqual(await Promise.all([...results, other]), [
      { ok: true },
      { ok: false, reason: 'error-ack', errcode: 846608, errmsg: 'stream message update expired' },
      { ok: false, reason: 'closed', detail: 'closed by WeCom' },
      { ok: false, reason: 'closed', detail: 'closed by WeCom' },
    ]);
    assert.equal(acks.settle({ headers: { req_id: 'req-1' }, errcode: 0 }), false, 'a late ack matches nothing');
  });
});

describe('a reply stream', () => {
  test('partials: at most one frame in flight, none closer than 333 ms, the latest text only; the finish frame always goes', async () => {
    const sent: Array<{ content: string; finish: boolean; at: number }> = [];
    let ackNext: (() => void) | undefined;
    const stream = new WsReplyStream({
      reqId: 'req-1',
      send: (frame) => {
        const body = frame.body as { stream: { content: string; finish: boolean } };
        sent.push({ ...body.stream, at: Date.now() });
        return new Promise<FrameResult>((resolve) => {
          ackNext = () => resolve({ ok: true });
        });
      },
    });
    let text = '';
    for (let i = 0; i < 10; i++) {
      text += `第${i}段。`;
      stream.partial(text);
      await sleep(20);
    }
    assert.equal(sent.length, 1, 'nothing more while the first frame waits for its ack');
    ackNext!();
    await sleep(400);
    assert.equal(sent.length, 2, 'the latest text, once the interval passed');
    assert.equal(sent[1]!.content, text);
    assert.ok(sent[1]!.at - sent[0]!.at >= 330, 'not closer than 333 ms');
    const finished = stream.finish(`${text}完。`);
    ackNext!();
    await sleep(10);
    ackNext!();
    assert.deepEqual(await finished, { ok: true });
    assert.deepEqual(sent.at(-1), { ...sent.at(-1)!, content: `${text}完。`, finish: true });
    stream.partial('more');
    assert.equal(sent.length, 3, 'nothing after the finish');
    assert.equal((await stream.finish('again')).ok, false, 'a stream finishes once');
  });
});

describe('the three-step upload', () => {
  test('a file of three chunks goes up in 512 KiB pieces from index 0, each acked, and comes back as one media_id', async () => {
    const ws = await startFakeBots();
    const connection = new BotConnection({
      bot: { bot_id: BOT_ID, secret: BOT_SECRET, ws_url: ws.url, heartbeat_seconds: 30, stream: true },
      logger: createLogger({ level: 'silent' }),
      onCallback: () => {},
    });
    try {
      connection.start();
      assert.ok(await connection.whenSubscribed(5000), 'subscribed');
      const data = randomBytes(2 * UPLOAD_CHUNK_BYTES + 1000);
      const mediaId = await uploadMedia((frame) => connection.request(frame), 'file', data, '报告.pdf');
      const chunks = ws.frames.filter((seen) => seen.frame.cmd === 'aibot_upload_media_chunk').map((seen) => seen.frame.body!);
      assert.deepEqual(
        chunks.map((body) => [body.chunk_index, Buffer.from(String(body.base64_data), 'base64').length]),
        [
          [0, UPLOAD_CHUNK_BYTES],
          [1, UPLOAD_CHUNK_BYTES],
          [2, 1000],
        ],
      );
      assert.deepEqual(
        ws.uploads.map((upload) => [upload.mediaId, upload.filename, upload.data.equals(data)]),
        [[mediaId, '报告.pdf', true]],
      );
      const init = ws.frames.find((seen) => seen.frame.cmd === 'aibot_upload_media_init')!.frame.body!;
      assert.deepEqual([init.type, init.total_size, init.total_chunks], ['file', data.length, 3]);
    } finally {
      await connection.stop();
      await ws.close();
    }
  });
});

describe('the link between the halves', () => {
  test("a result meant for a dead worker's call never answers its successor's call", async () => {
    const handlers: Array<(message: unknown) => void> = [];
    const calls: WsCall[] = [];
    const link: ChannelLink = {
      post: (message) => isWsCall(message) && calls.push(message),
      onMessage: (handler) => void handlers.push(handler),
    };
    const dead = new WsLinkClient(link, 5000);
    void dead.send(BOT_ID, streamFrame('req-old', 's', 'old', true), 0);
    const successor = new WsLinkClient(link, 5000);
    const answer = successor.send(BOT_ID, streamFrame('req-new', 's', 'new', true), 0);
    const [old, fresh] = calls;
    assert.notEqual(old!.call, fresh!.call);
    for (const handler of handlers)
      handler({ type: 'aibot-ws-result', call: old!.call, result: { ok: false, reason: 'closed', detail: 'the old call' } });
    for (const handler of handlers) handler({ type: 'aibot-ws-result', call: fresh!.call, result: { ok: true } });
    assert.deepEqual(await answer, { ok: true });
  });
});
