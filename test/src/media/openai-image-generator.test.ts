import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI, TINY_PNG } from '../../../fakes/fake-openai.js';
import { createOpenAIClient } from '../../../src/backends/openai/client.js';
import { createLogger } from '../../../src/logger.js';
import { mediaMessages } from '../../../src/media/media-messages.js';
import { OpenAIImageGenerator } from '../../../src/media/openai-image-generator.js';
import { UserFacingError } from '../../../src/user-facing-error.js';
import { picture, probeImage } from './media-fixtures.js';

let openai: FakeOpenAI;
let logs: string[];
before(async () => (openai = await startFakeOpenAI()));
after(() => openai.close());
beforeEach(() => {
  openai.reset();
  logs = [];
});

function generator(model = 'dall-e-3', size = '1024x1024') {
  const client = createOpenAIClient(
    { open_ai_api_key: 'sk-test', open_ai_api_base: openai.url, proxy: '', request_timeout: 10, max_retries: 0 },
    createLogger({ level: 'silent', secrets: [] }),
  );
  const logger = createLogger({ level: 'debug', secrets: [], sink: { write: (line) => logs.push(line) } });
  return new OpenAIImageGenerator({ client, model, size, ffmpegPath: '', timeoutMs: 5000, logger });
}

const rejectsWith = (userMessage: string) => (error: unknown) => error instanceof UserFacingError && error.userMessage === userMessage;

describe('OpenAIImageGenerator', () => {
  test('b64_json answers are decoded; the model and size are sent', async () => {
    openai.setImageResponder(() => ({ b64: TINY_PNG }));
    assert.deepEqual(await generator('gpt-image-1', '1536x1024').generate('一只猫'), { data: TINY_PNG, mimeType: 'image/png' });
    assert.deepEqual(openai.imageRequests()[0], { model: 'gpt-image-1', prompt: '一只猫', size: '1536x1024', n: 1 });
  });

  test('url answers are downloaded', async () => {
    const png = picture('png', 32, 32);
    openai.setImageResponder(() => ({ url: png }));
    assert.deepEqual(await generator().generate('a dog'), { data: png, mimeType: 'image/png' });
  });

  test('WebP results are converted to JPEG', async () => {
    openai.setImageResponder(() => ({ b64: picture('webp', 120, 80) }));
    const image = await generator().generate('a bird');
    assert.equal(image.mimeType, 'image/jpeg');
    assert.deepEqual(probeImage(image.data), { codec: 'mjpeg', width: 120, height: 80 });
  });

  test('a content-policy refusal tells the user why, in one sentence', async () => {
    openai.setImageResponder(() => ({
      error: { status: 400, message: 'Your request was rejected as a result of our safety system.', code: 'content_policy_violation' },
    }));
    await assert.rejects(generator().generate('something bad'), rejectsWith(mediaMessages.imageRefused));
    assert.ok(logs.some((line) => line.includes('image request refused by the API') && line.includes('safety system')));
  });

  test('other API errors: a generic sentence, the cause in the log', async () => {
    openai.setImageResponder(() => ({ error: { status: 400, message: 'Invalid size 999x999', code: 'invalid_size' } }));
    await assert.rejects(generator('dall-e-3', '999x999').generate('cat'), rejectsWith(mediaMessages.imageFailed));
    assert.ok(logs.some((line) => line.includes('image generation failed') && line.includes('Invalid size 999x999')));
  });

  test('an images endpoint that is down (5xx, 429) is a transient failure, so the message is tried again later; a 400 is not', async () => {
    for (const [status, transient] of [
      [503, true],
      [429, true],
      [400, false],
    ] as const) {
      openai.setImageResponder(() => ({ error: { status, message: `fake ${status}` } }));
      const error = await generator()
        .generate('cat')
        .then(
          () => assert.fail('expected a failure'),
          (caught: unknown) => caught,
        );
      assert.ok(error instanceof UserFacingError && error.userMessage === mediaMessages.imageFailed, String(error));
      assert.equal(error.transient, transient, `HTTP ${status}`);
    }
    assert.equal(openai.imageRequests().length, 3, 'one request each: no retry inside the call');
  });

  test('a broken result: the download fails, or the bytes are no image', async () => {
    openai.setImageResponder(() => ({ link: `${openai.url.replace(/\/v1$/, '')}/files/expired.png` }));
    await assert.rejects(generator().generate('cat'), rejectsWith(mediaMessages.imageFailed));
    assert.ok(
      logs.some((line) => line.includes('image download failed') && line.includes('HTTP 404')),
      logs.join(''),
    );
    openai.setImageResponder(() => ({ b64: Buffer.from('<html>not an image</html>') }));
    await assert.rejects(generator().generate('cat'), rejectsWith(mediaMessages.imageUnusable));
    assert.ok(logs.some((line) => line.includes('could not be converted') && line.includes('not an image')));
  });
});
