// Media of the fake AI bot long connection: downloads encrypted per URL, and the three-step upload.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

/** AES-256-CBC, IV = key[0:16], PKCS#7 padded to a multiple of 32: how WeCom serves a callback's media. */
export function encryptMedia(data: Buffer, key: Buffer): Buffer {
  const pad = 32 - (data.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([data, Buffer.alloc(pad, pad)])), cipher.final()]);
}

export interface UploadedWsMedia {
  mediaId: string;
  type: string;
  filename: string;
  data: Buffer;
}

interface UploadSession {
  type: string;
  filename: string;
  totalSize: number;
  totalChunks: number;
  md5?: string;
  chunks: Map<number, Buffer>;
}

const CHUNK_BYTES = 512 * 1024;
const LIMITS: Record<string, number> = { image: 2 * 1024 * 1024, voice: 2 * 1024 * 1024, video: 10 * 1024 * 1024, file: 20 * 1024 * 1024 };

export type AckAnswer = { errcode: number; errmsg: string; body?: Record<string, unknown> };
const ok = (body?: Record<string, unknown>): AckAnswer => ({ errcode: 0, errmsg: 'ok', ...(body ? { body } : {}) });
const bad = (errmsg: string): AckAnswer => ({ errcode: 40058, errmsg });

/** aibot_upload_media_init / _chunk / _finish as WeCom documents them (chunks from 0, ≤ 512 KiB, ≤ 100). */
export class FakeUploads {
  readonly done: UploadedWsMedia[] = [];
  private readonly sessions = new Map<string, UploadSession>();

  init(body: Record<string, unknown>): AckAnswer {
    const { type, filename, total_size: totalSize, total_chunks: totalChunks, md5 } = body;
    if (typeof type !== 'string' || !(type in LIMITS)) return bad('invalid type');
    if (typeof filename !== 'string' || filename === '' || Buffer.byteLength(filename) > 256) return bad('invalid filename');
    if (typeof totalSize !== 'number' || totalSize < 5 || totalSize > LIMITS[type]!) return bad(`total_size out of range for ${type}`);
    if (typeof totalChunks !== 'number' || totalChunks < 1 || totalChunks > 100 || totalChunks !== Math.ceil(totalSize / CHUNK_BYTES))
      return bad('invalid total_chunks');
    const uploadId = `upload-${randomBytes(6).toString('hex')}`;
    this.sessions.set(uploadId, { type, filename, totalSize, totalChunks, ...(typeof md5 === 'string' ? { md5 } : {}), chunks: new Map() });
    return ok({ upload_id: uploadId });
  }

  chunk(body: Record<string, unknown>): AckAnswer {
    const session = this.sessions.get(String(body.upload_id));
    if (!session) return bad('invalid upload_id');
    const index = body.chunk_index;
    if (typeof index !== 'number' || index < 0 || index >= session.totalChunks) return bad('chunk_index out of range (they start at 0)');
    const data = Buffer.from(String(body.base64_data ?? ''), 'base64');
    if (data.length === 0 || data.length > CHUNK_BYTES) return bad('chunk over 512 KiB');
    // A chunk sent twice is ignored, as WeCom does.
    if (!session.chunks.has(index)) session.chunks.set(index, data);
    return ok();
  }

  finish(body: Record<string, unknown>): AckAnswer {
    const uploadId = String(body.upload_id);
    const session = this.sessions.get(uploadId);
    if (!session) return bad('invalid upload_id');
    if (session.chunks.size !== session.totalChunks) return bad(`${session.chunks.size} of ${session.totalChunks} chunks uploaded`);
    const data = Buffer.concat([...session.chunks.entries()].sort(([a], [b]) => a - b).map(([, chunk]) => chunk));
    if (data.length !== session.totalSize) return bad('size differs from total_size');
    if (session.md5 && createHash('md5').update(data).digest('hex') !== session.md5) return bad('md5 differs');
    this.sessions.delete(uploadId);
    const mediaId = `media-${randomBytes(6).toString('hex')}`;
    this.done.push({ mediaId, type: session.type, filename: session.filename, data });
    return ok({ type: session.type, media_id: mediaId, created_at: String(Math.floor(Date.now() / 1000)) });
  }

  has(mediaId: string): boolean {
    return this.done.some((upload) => upload.mediaId === mediaId);
  }
}
