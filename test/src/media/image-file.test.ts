import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IMAGE_MAX_BYTES, sniffImageType, toSendableImage } from '../../../src/media/image-file.js';
import { picture, probeImage } from './media-fixtures.js';

describe('toSendableImage', () => {
  test('a PNG under 10 MB is sent as it is', async () => {
    const png = picture('png', 64, 48);
    assert.deepEqual(await toSendableImage('', png), { data: png, mimeType: 'image/png' });
  });

  test('WebP (which WeCom does not take) becomes a JPEG of the same size', async () => {
    const webp = picture('webp', 333, 211);
    assert.equal(sniffImageType(webp), 'webp');
    const image = await toSendableImage('', webp);
    assert.equal(image.mimeType, 'image/jpeg');
    assert.equal(sniffImageType(image.data), 'jpeg');
    assert.deepEqual(probeImage(image.data), { codec: 'mjpeg', width: 333, height: 211 });
  });

  test('a PNG over 10 MB becomes a JPEG under 10 MB', async () => {
    const png = picture('png', 2100, 2100, true);
    assert.ok(png.length > IMAGE_MAX_BYTES, `${png.length} bytes`);
    const image = await toSendableImage('', png);
    assert.equal(image.mimeType, 'image/jpeg');
    assert.ok(image.data.length <= IMAGE_MAX_BYTES);
    assert.deepEqual(probeImage(image.data), { codec: 'mjpeg', width: 2100, height: 2100 });
  });

  test('bytes that are no image are refused with what they start with', async () => {
    await assert.rejects(toSendableImage('', Buffer.from('<html>Forbidden</html>')), /not an image \(22 bytes starting 3c68746d6c3e466f\)/);
  });
});
