import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveFfmpegPath, runFfmpeg } from './ffmpeg.js';

/** WeCom media/upload takes PNG or JPG images up to 10 MB. */
export const IMAGE_MAX_BYTES = 10 * 1024 * 1024;
/** JPEG quality steps (ffmpeg -q:v, 2 = best) tried until the image fits. */
const JPEG_QUALITIES = [3, 8, 20];

export type ImageType = 'png' | 'jpeg' | 'webp' | 'gif';

export function sniffImageType(data: Buffer): ImageType | undefined {
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
  if (data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  if (data.toString('latin1', 0, 4) === 'GIF8') return 'gif';
  return undefined;
}

/** A PNG or JPG under 10 MB as it is; anything else (WebP, oversized) re-encoded as JPEG. */
export async function toSendableImage(ffmpegPath: string, data: Buffer): Promise<{ data: Buffer; mimeType: string }> {
  const type = sniffImageType(data);
  if ((type === 'png' || type === 'jpeg') && data.length <= IMAGE_MAX_BYTES) return { data, mimeType: `image/${type}` };
  if (!type) throw new Error(`not an image (${data.length} bytes starting ${data.subarray(0, 8).toString('hex')})`);
  return withInputPath(type, data, async (input) => {
    for (const quality of JPEG_QUALITIES) {
      const jpeg = await runFfmpeg(
        resolveFfmpegPath(ffmpegPath),
        ['-i', input, '-frames:v', '1', '-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-q:v', String(quality), '-f', 'image2pipe', 'pipe:1'],
        input === 'pipe:0' ? data : Buffer.alloc(0),
      );
      if (jpeg.length <= IMAGE_MAX_BYTES) return { data: jpeg, mimeType: 'image/jpeg' };
    }
    throw new Error(`a ${type} of ${data.length} bytes stays over ${IMAGE_MAX_BYTES} bytes as JPEG`);
  });
}

/** ffmpeg's webp_pipe demuxer cannot find the size of a WebP read from a pipe (4.1 at least); from a file it can. */
async function withInputPath<T>(type: ImageType, data: Buffer, convert: (input: string) => Promise<T>): Promise<T> {
  if (type !== 'webp') return convert('pipe:0');
  const dir = await mkdtemp(path.join(tmpdir(), 'weworktop-image-'));
  try {
    const file = path.join(dir, 'image.webp');
    await writeFile(file, data);
    return await convert(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
