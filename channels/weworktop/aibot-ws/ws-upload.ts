import { createHash } from 'node:crypto';
import { uploadChunkFrame, uploadFinishFrame, uploadInitFrame, type WsFrame, type WsMediaType } from './ws-frames.js';
import type { FrameResult } from './ws-link.js';

/** Each chunk ≤ 512 KiB before Base64, at most 100 chunks (https://developer.work.weixin.qq.com/document/path/101463). */
export const UPLOAD_CHUNK_BYTES = 512 * 1024;
const MAX_CHUNKS = 100;
const MIN_BYTES = 5;
/** What WeCom takes per type on the long connection. */
export const WS_UPLOAD_LIMITS: Record<WsMediaType, number> = {
  image: 2 * 1024 * 1024,
  voice: 2 * 1024 * 1024,
  video: 10 * 1024 * 1024,
  file: 20 * 1024 * 1024,
};

/** A frame that did not get its ack, carrying why (the replier decides what to do with it). */
export class WsCallError extends Error {
  constructor(
    readonly cmd: string,
    readonly result: Exclude<FrameResult, { ok: true }>,
  ) {
    super(
      `${cmd}: ${result.reason === 'error-ack' ? `errcode ${result.errcode} ${result.errmsg}` : `${result.reason} (${result.detail})`}`,
    );
    this.name = 'WsCallError';
  }
}

/** Whether `data` of this type fits WeCom's limits for an upload. */
export function fitsUpload(type: WsMediaType, data: Buffer): boolean {
  return data.length >= MIN_BYTES && data.length <= WS_UPLOAD_LIMITS[type] && Math.ceil(data.length / UPLOAD_CHUNK_BYTES) <= MAX_CHUNKS;
}

/**
 * The three-step upload (init, chunks from index 0, finish), each frame acked before the next;
 * resolves with the media_id (valid 3 days).
 */
export async function uploadMedia(
  send: (frame: WsFrame) => Promise<FrameResult>,
  type: WsMediaType,
  data: Buffer,
  filename: string,
): Promise<string> {
  const call = async (frame: WsFrame): Promise<Record<string, unknown>> => {
    const result = await send(frame);
    if (!result.ok) throw new WsCallError(frame.cmd ?? '', result);
    return (result.body ?? {}) as Record<string, unknown>;
  };
  const chunks = Math.ceil(data.length / UPLOAD_CHUNK_BYTES);
  const md5 = createHash('md5').update(data).digest('hex');
  const init = await call(uploadInitFrame(type, filename, data.length, chunks, md5));
  const uploadId = init.upload_id;
  if (typeof uploadId !== 'string' || uploadId === '') throw new Error('aibot_upload_media_init: no upload_id in the ack');
  for (let index = 0; index < chunks; index++)
    await call(uploadChunkFrame(uploadId, index, data.subarray(index * UPLOAD_CHUNK_BYTES, (index + 1) * UPLOAD_CHUNK_BYTES)));
  const finish = await call(uploadFinishFrame(uploadId));
  if (typeof finish.media_id !== 'string' || finish.media_id === '') throw new Error('aibot_upload_media_finish: no media_id in the ack');
  return finish.media_id;
}
