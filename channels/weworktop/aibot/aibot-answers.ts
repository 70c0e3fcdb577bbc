import { createHash } from 'node:crypto';
import type { ReplyStream, StreamImage } from './reply-streams.js';

/**
 * The AI bot's stream content is cut at 20480 bytes (https://developer.work.weixin.qq.com/document/path/101031);
 * longer answers continue elsewhere.
 */
export const MAX_STREAM_BYTES = 20480;
/** At most 10 images per finished stream, each ≤ 10 MB JPG/PNG. */
export const MAX_STREAM_IMAGES = 10;
export const MAX_STREAM_IMAGE_BYTES = 10 * 1024 * 1024;

/** The passive answer that shows a stream's state; images only once it is finished. */
export function streamAnswer(stream: Pick<ReplyStream, 'id' | 'content' | 'finished' | 'images'>): object {
  const images =
    stream.finished && stream.images.length > 0 ? { msg_item: stream.images.map((image) => ({ msgtype: 'image', image })) } : {};
  return { msgtype: 'stream', stream: { id: stream.id, finish: stream.finished, content: stream.content, ...images } };
}

/** A one-off finished stream: notices like "still answering" that need no worker. */
export function finishedStreamAnswer(id: string, content: string): object {
  return streamAnswer({ id, content, finished: true, images: [] });
}

export function streamImage(data: Buffer): StreamImage {
  return { base64: data.toString('base64'), md5: createHash('md5').update(data).digest('hex') };
}

/** The body of a response_url call (plain JSON, markdown, ≤ 20480 bytes). */
export function markdownMessage(content: string): object {
  return { msgtype: 'markdown', markdown: { content } };
}
