import { downloadBytes } from '../../../src/media/download-bytes.js';
import type { PushImage } from '../../../src/push/push-message.js';

/** A push's image bytes: decoded, or fetched from its URL (a 4xx will not change; the rest may pass). */
export async function loadPushImage(image: PushImage, maxBytes: number, options: { timeoutMs: number; proxy: string }): Promise<Buffer> {
  if ('base64' in image) {
    const data = Buffer.from(image.base64, 'base64');
    if (data.length > maxBytes) throw new Error(`image over ${maxBytes} bytes`);
    return data;
  }
  try {
    return await downloadBytes(image.url, { timeoutMs: options.timeoutMs, maxBytes, proxy: options.proxy });
  } catch (error) {
    const message = `image.url: ${(error as Error).message}`;
    throw Object.assign(new Error(message), { transient: !/HTTP 4\d\d|exceeds/.test(message) });
  }
}
