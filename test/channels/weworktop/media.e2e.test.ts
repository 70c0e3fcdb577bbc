import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TINY_PNG } from '../../../fakes/fake-openai.js';
import type { SentMessage } from '../../../fakes/fake-wecom.js';
import { mediaMessages } from '../../../src/media/media-messages.js';
import { userMessages } from '../../../src/pipeline/user-messages.js';
import { picture, probeAudio, probeImage, tone } from '../../src/media/media-fixtures.js';
import { eventually, startWeworktop, type WeworktopHarness } from '../../support/weworktop-harness.js';

let harness: WeworktopHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const textOf = (message: SentMessage) => (message.body[message.msgtype] as { content?: string })?.content ?? `<${message.msgtype}>`;
const mediaIdOf = (message: SentMessage) => (message.body[message.msgtype] as { media_id?: string }).media_id;

/** A real AMR voice note in the fake WeCom, sent to the app's callback as WeCom does. */
async function sendVoiceNote(h: WeworktopHarness, user: string, seconds = 2, data = tone(seconds, 'amr')): Promise<void> {
  const mediaId = `voice-${user}-${Date.now()}`;
  h.wecom.addMedia(mediaId, data, 'audio/amr', 'voice.amr');
  assert.equal((await h.client.sendVoice(user, mediaId)).status, 200);
}

describe('voice notes in', () => {
  test('a voice note is downloaded, heard as WAV of its length, answered, and the transcript echoed', async () => {
    harness = await startWeworktop();
    const heard: Array<{ container: string; sampleRate: number; seconds: number }> = [];
    harness.openai.setTranscriber((request) => {
      heard.push(probeAudio(request.file));
      return '今天天气怎么样';
    });
    await sendVoiceNote(harness, 'zhangsan', 3);
    const [reply] = await harness.wecom.waitForSent(1, 8000);
    assert.equal(textOf(reply!), '「今天天气怎么样」\n\necho: 今天天气怎么样');
    assert.equal(heard.length, 1);
    assert.equal(heard[0]!.container, 'wav');
    assert.equal(heard[0]!.sampleRate, 16000);
    assert.ok(Math.abs(heard[0]!.seconds - 3) < 0.1, `the engine heard ${heard[0]!.seconds} s of a 3 s note`);
    assert.deepEqual(
      [harness.openai.transcriptionRequests()[0]!.model, harness.openai.transcriptionRequests()[0]!.language],
      ['whisper-1', 'zh'],
    );
  });

  test('speech_recognition off: the voice note is ignored with a log line', async () => {
    harness = await startWeworktop({ config: { speech_recognition: false } });
    await sendVoiceNote(harness, 'lisi');
    await eventually(() =>
      assert.ok(
        harness!.logs.some((line) => line.includes('ignored: voice note while speech_recognition is off')),
        'the reason is logged',
      ),
    );
    await sleep(100);
    assert.equal(harness.wecom.sent.length, 0);
    assert.equal(harness.openai.transcriptionRequests().length, 0);
  });

  const failures: Array<{ name: string; arrange: (h: WeworktopHarness) => Buffer | undefined; says: string; logs: RegExp }> = [
    {
      name: 'download failed (media/get error)',
      arrange: (h) => (h.wecom.injectError('media/get', { errcode: 40007, errmsg: 'invalid media_id' }), undefined),
      says: '没能从企业微信取到这条语音，请再发一次。',
      logs: /media download failed.*40007/,
    },
    {
      name: 'conversion failed (not audio)',
      arrange: () => Buffer.from('#!AMR\n'.padEnd(400, 'garbage')),
      says: mediaMessages.voiceUnreadable,
      logs: /voice conversion to WAV failed/,
    },
    {
      name: 'engine failed',
      arrange: (h) => (
        h.openai.setTranscriber(() => {
          throw new Error('model whisper-1 is overloaded');
        }),
        undefined
      ),
      says: mediaMessages.speechFailed,
      logs: /speech recognition failed.*model whisper-1 is overloaded/,
    },
    {
      name: 'engine heard nothing',
      arrange: (h) => (h.openai.setTranscriber(() => ''), undefined),
      says: userMessages.voiceEmpty,
      logs: /speech recognition heard nothing/,
    },
  ];
  for (const failure of failures) {
    test(`${failure.name}: one sentence to the user, the cause in the log`, async () => {
      harness = await startWeworktop();
      const data = failure.arrange(harness);
      await sendVoiceNote(harness, 'wangwu', 1, data);
      const [reply] = await harness.wecom.waitForSent(1, 8000);
      assert.equal(textOf(reply!), failure.says);
      // The answer worker's log lines reach the main thread in batches, possibly after its send.
      await eventually(() =>
        assert.ok(
          harness!.logs.some((line) => failure.logs.test(line)),
          harness!.logs.join(''),
        ),
      );
      assert.equal(harness.openai.chatRequests().length, 0);
    });
  }
});

describe('voice replies out', () => {
  test('voice_reply_voice: the answer is synthesized, uploaded as AMR ≤ 60 s and sent as voice', async () => {
    harness = await startWeworktop({ config: { voice_reply_voice: true } });
    harness.openai.setTranscriber(() => '讲个笑话');
    harness.openai.setSpeech(() => tone(5, 'wav'));
    await sendVoiceNote(harness, 'zhaoliu');
    const [reply] = await harness.wecom.waitForSent(1, 8000);
    assert.equal(reply!.msgtype, 'voice');
    assert.equal(harness.wecom.uploads.length, 1);
    const upload = harness.wecom.uploads[0]!;
    assert.deepEqual([upload.type, upload.fileName, upload.contentType], ['voice', 'reply.amr', 'audio/amr']);
    assert.equal(mediaIdOf(reply!), upload.mediaId);
    const probed = probeAudio(upload.data);
    assert.deepEqual([probed.container, probed.codec, probed.sampleRate, probed.channels], ['amr', 'amr_nb', 8000, 'mono']);
    assert.ok(Math.abs(probed.seconds - 5) < 0.1 && probed.seconds <= 60, `${probed.seconds} s`);
    assert.equal(
      String(harness.openai.speechRequests()[0]!.input),
      'echo: 讲个笑话',
      'the voice speaks the answer only, not the 「transcript」 echo',
    );
  });

  test('voice_reply_voice answers text with text', async () => {
    harness = await startWeworktop({ config: { voice_reply_voice: true } });
    await harness.client.sendText('zhaoliu', '你好');
    const [reply] = await harness.wecom.waitForSent(1, 5000);
    assert.equal(textOf(reply!), 'echo: 你好');
    assert.equal(harness.openai.speechRequests().length, 0);
  });

  test('always_reply_voice: 130 s of speech goes out as three voice messages of at most 60 s, in order', async () => {
    harness = await startWeworktop({ config: { always_reply_voice: true } });
    harness.openai.setSpeech(() => tone(130, 'mp3'));
    await harness.client.sendText('sunqi', '读一篇长文章');
    const sent = await harness.wecom.waitForSent(3, 15000);
    assert.deepEqual(
      sent.map((message) => message.msgtype),
      ['voice', 'voice', 'voice'],
    );
    assert.deepEqual(
      sent.map(mediaIdOf),
      harness.wecom.uploads.map((upload) => upload.mediaId),
    );
    const seconds = harness.wecom.uploads.map((upload) => probeAudio(upload.data).seconds);
    assert.ok(
      seconds.every((s) => s <= 60.05),
      seconds.join(','),
    );
    assert.ok(Math.abs(seconds.reduce((a, b) => a + b, 0) - 130) < 0.5, seconds.join(','));
  });

  test('a failing TTS falls back to the text answer, with a log line', async () => {
    harness = await startWeworktop({ config: { always_reply_voice: true } });
    harness.openai.setSpeech(() => {
      throw new Error('tts backend down');
    });
    await harness.client.sendText('sunqi', '你好');
    const [reply] = await harness.wecom.waitForSent(1, 5000);
    assert.equal(textOf(reply!), 'echo: 你好');
    assert.equal(harness.wecom.uploads.length, 0);
    await eventually(() => assert.ok(harness!.logs.some((line) => line.includes('text-to-speech failed; replying with text'))));
  });

  test('speech that ffmpeg cannot turn into AMR falls back to the text answer with the transcript echoed', async () => {
    harness = await startWeworktop({ config: { voice_reply_voice: true } });
    harness.openai.setTranscriber(() => '讲个笑话');
    // A WAV header with a codec id no decoder knows: it passes the format sniffing, ffmpeg rejects it.
    const broken = Buffer.from(tone(1, 'wav'));
    broken.writeUInt16LE(0x7777, 20);
    harness.openai.setSpeech(() => broken);
    await sendVoiceNote(harness, 'zhouba');
    const [reply] = await harness.wecom.waitForSent(1, 8000);
    assert.equal(textOf(reply!), '「讲个笑话」\n\necho: 讲个笑话');
    assert.equal(harness.wecom.uploads.length, 0);
    await eventually(() =>
      assert.ok(
        harness!.logs.some((line) => line.includes('could not be encoded as AMR; sending text')),
        harness!.logs.join(''),
      ),
    );
  });
});

describe('images', () => {
  for (const form of ['url', 'b64'] as const) {
    test(`画… makes an image (${form} answer), uploads it and sends it as an image`, async () => {
      harness = await startWeworktop({ config: { text_to_image: 'dall-e-3', image_size: '1792x1024' } });
      const png = picture('png', 64, 36);
      harness.openai.setImageResponder(() => (form === 'url' ? { url: png } : { b64: png }));
      await harness.client.sendText('zhouba', '画一只戴帽子的猫');
      const [reply] = await harness.wecom.waitForSent(1, 5000);
      assert.equal(reply!.msgtype, 'image');
      const upload = harness.wecom.uploads[0]!;
      assert.deepEqual([upload.type, upload.fileName, upload.contentType], ['image', 'image.png', 'image/png']);
      assert.equal(mediaIdOf(reply!), upload.mediaId);
      assert.ok(upload.data.equals(png));
      assert.deepEqual(harness.openai.imageRequests()[0], { model: 'dall-e-3', prompt: '一只戴帽子的猫', size: '1792x1024', n: 1 });
    });
  }

  test('a WebP result is sent as a JPEG', async () => {
    harness = await startWeworktop();
    harness.openai.setImageResponder(() => ({ b64: picture('webp', 90, 60) }));
    await harness.client.sendText('zhouba', 'draw a fox');
    await harness.wecom.waitForSent(1, 5000);
    const upload = harness.wecom.uploads[0]!;
    assert.deepEqual([upload.fileName, upload.contentType], ['image.jpg', 'image/jpeg']);
    assert.deepEqual(probeImage(upload.data), { codec: 'mjpeg', width: 90, height: 60 });
  });

  test('a refusal by the image API reaches the user as text', async () => {
    harness = await startWeworktop();
    harness.openai.setImageResponder(() => ({
      error: { status: 400, message: 'Your request was rejected as a result of our safety system.', code: 'content_policy_violation' },
    }));
    await harness.client.sendText('zhouba', '画 something forbidden');
    const [reply] = await harness.wecom.waitForSent(1, 5000);
    assert.equal(textOf(reply!), mediaMessages.imageRefused);
    assert.equal(harness.wecom.uploads.length, 0);
  });

  test('image_understanding: a sent image is shown to the model with the question', async () => {
    harness = await startWeworktop({ config: { image_understanding: true } });
    harness.wecom.addMedia('photo-1', TINY_PNG, 'image/jpeg', 'photo.jpg');
    await harness.client.sendImage('wujiu', 'photo-1');
    await harness.wecom.waitForSent(1, 5000);
    const question = harness.openai.chatRequests()[0]!.messages.at(-1)!.content as Array<{ type: string; image_url?: { url: string } }>;
    assert.equal(question[1]!.image_url!.url, `data:image/jpeg;base64,${TINY_PNG.toString('base64')}`);
  });
});
