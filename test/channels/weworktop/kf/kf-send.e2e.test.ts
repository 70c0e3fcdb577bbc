import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TINY_PNG } from '../../../../fakes/fake-openai.js';
import { tone } from '../../../src/media/media-fixtures.js';
import { KF, startKf } from '../../../support/kf-harness.js';
import { eventually } from '../../../support/weworktop-harness.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const contentOf = (message: { body: Record<string, unknown> }) => (message.body.text as { content: string }).content;

describe('微信客服: sending answers (kf/send_msg)', () => {
  test('a long answer goes in parts of at most 2048 bytes, at most 4 of them, the last saying it was cut', async () => {
    const kf = await startKf();
    try {
      kf.openai.setChatResponder(() => '好'.repeat(4000));
      await kf.say('wmAlice', '写一篇长文');
      await kf.wecom.waitForKfSent(4, 5000);
      await pause(300);
      const parts = kf.wecom.kf.sent.map(contentOf);
      assert.equal(parts.length, 4);
      assert.ok(
        parts.every((part) => Buffer.byteLength(part) <= 2048),
        'each within 2048 bytes',
      );
      assert.match(parts[3]!, /回答太长，后面的内容被截断了/);
    } finally {
      await kf.stop();
    }
  });

  test('the 5-message budget: two messages pulled together share the 5 sends the newest one allows', async () => {
    const kf = await startKf();
    try {
      kf.openai.setChatResponder(() => '好'.repeat(1700));
      kf.wecom.kf.customerSays(KF, 'wmAlice', '第一个问题');
      kf.wecom.kf.customerSays(KF, 'wmAlice', '第二个问题');
      await kf.callback();
      await kf.wecom.waitForKfSent(5, 5000);
      await eventually(
        () => assert.equal(kf.lines('no more messages may go to this customer (used up').length, 1, 'the sixth part is not sent'),
        5000,
      );
      await pause(200);
      assert.equal(kf.wecom.kf.sent.length, 5);
      assert.equal(kf.lines('95001').length, 0, 'WeCom never had to refuse one');
      assert.equal(kf.lines('given up').length, 0);
    } finally {
      await kf.stop();
    }
  });

  test('a send whose answer was lost is tried again with the same msgid: the customer sees each part once', async () => {
    const kf = await startKf();
    try {
      kf.openai.setChatResponder(() => `${'甲'.repeat(600)}\n${'乙'.repeat(600)}`);
      kf.wecom.kf.loseNextSendAnswer();
      await kf.say('wmAlice', '你好');
      await kf.wecom.waitForKfSent(2, 5000);
      await eventually(
        () => assert.equal(kf.lines('a part tried before was refused now').length, 1, 'the retry met the msgid already used'),
        5000,
      );
      await pause(200);
      assert.deepEqual(
        kf.wecom.kf.sent.map((message) => contentOf(message)[0]),
        ['甲', '乙'],
      );
      assert.equal(kf.wecom.callTimes('kf/send_msg').length, 3, 'part 1, part 1 again (refused), part 2');
      assert.equal(kf.openai.chatRequests().length, 1, 'the stored answer is delivered, not asked again');
    } finally {
      await kf.stop();
    }
  });

  test('voice is transcribed (AMR), an image is seen with image_understanding, other kinds are noted to the LLM', async () => {
    const kf = await startKf({ config: { image_understanding: true } });
    try {
      kf.wecom.addMedia('kf-voice-1', tone(2, 'amr'), 'audio/amr', 'voice.amr');
      kf.wecom.addMedia('kf-image-1', TINY_PNG, 'image/png', 'image.png');
      kf.wecom.kf.customerSays(KF, 'wmAlice', { msgtype: 'voice', voice: { media_id: 'kf-voice-1' } });
      kf.wecom.kf.customerSays(KF, 'wmBob', { msgtype: 'image', image: { media_id: 'kf-image-1' } });
      kf.wecom.kf.customerSays(KF, 'wmCarol', { msgtype: 'video', video: { media_id: 'kf-video-1' } });
      await kf.callback();
      await kf.wecom.waitForKfSent(3, 10_000);
      assert.equal(kf.openai.transcriptionRequests().length, 1);
      assert.match(contentOf(kf.wecom.kf.sent.find((message) => message.touser === 'wmAlice')!), /transcribed text/);
      const sawImage = kf.openai.chatRequests().some((request) => JSON.stringify(request.messages).includes('data:image/jpeg;base64,'));
      assert.ok(sawImage, 'the image reached the model');
      assert.equal(contentOf(kf.wecom.kf.sent.find((message) => message.touser === 'wmCarol')!), 'echo: [客户发来一段视频]');
    } finally {
      await kf.stop();
    }
  });
});
