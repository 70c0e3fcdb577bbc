import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { SentMessage } from '../../../fakes/fake-wecom.js';
import { mediaMessages } from '../../../src/media/media-messages.js';
import { tone } from '../../src/media/media-fixtures.js';
import { eventually, startWeworktop, type WeworktopHarness } from '../../support/weworktop-harness.js';

let harness: WeworktopHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const textOf = (message: SentMessage) => (message.body[message.msgtype] as { content?: string })?.content ?? `<${message.msgtype}>`;
const logged = (h: WeworktopHarness, pattern: RegExp) =>
  eventually(() =>
    assert.ok(
      h.logs.some((line) => pattern.test(line)),
      h.logs.join(''),
    ),
  );

describe('a server without an endpoint (DeepSeek draws nothing, many servers transcribe nothing)', () => {
  test('images: the user hears the server cannot draw, the log names the URL and image_create_prefix; no retry', async () => {
    harness = await startWeworktop();
    harness.openai.dropEndpoints('/images/generations');
    await harness.client.sendText('zhangsan', '画一只猫');
    const [reply] = await harness.wecom.waitForSent(1, 8000);
    assert.equal(textOf(reply!), mediaMessages.imageUnavailable);
    await logged(
      harness,
      /image generation failed: POST http:\/\/127\.0\.0\.1:\d+\/v1\/images\/generations answered 404: this server has no image generation \(\/images\/generations\); set image_create_prefix to \[\] to turn image requests off/,
    );
    assert.ok(!harness.logs.some((line) => line.includes('will retry')), 'not retried as if it might pass');
  });

  test('voice: the user hears the server cannot transcribe, the log names the URL and speech_recognition', async () => {
    harness = await startWeworktop();
    harness.openai.dropEndpoints('/audio/transcriptions');
    harness.wecom.addMedia('voice-1', tone(1, 'amr'), 'audio/amr', 'voice.amr');
    await harness.client.sendVoice('lisi', 'voice-1');
    const [reply] = await harness.wecom.waitForSent(1, 8000);
    assert.match(textOf(reply!), new RegExp(mediaMessages.speechUnavailable));
    await logged(
      harness,
      /speech recognition failed: POST http:\/\/127\.0\.0\.1:\d+\/v1\/audio\/transcriptions answered 404: this server has no speech recognition \(\/audio\/transcriptions\); set speech_recognition and group_speech_recognition to false, or voice_to_text to "azure"/,
    );
  });

  test('voice replies: text instead, and the log names voice_reply_voice', async () => {
    harness = await startWeworktop({ config: { always_reply_voice: true } });
    harness.openai.dropEndpoints('/audio/speech');
    await harness.client.sendText('wangwu', 'say it');
    const [reply] = await harness.wecom.waitForSent(1, 8000);
    assert.equal(textOf(reply!), 'echo: say it');
    await logged(
      harness,
      /text-to-speech failed; replying with text .*POST http:\/\/127\.0\.0\.1:\d+\/v1\/audio\/speech answered 404: this server has no text-to-speech \(\/audio\/speech\); set voice_reply_voice and always_reply_voice to false/,
    );
  });
});
