import { createDecipheriv } from 'node:crypto';
import type { AxiosInstance } from 'axios';

/** Media URLs in callbacks: files may be larger, we take up to 20 MB (WeCom's own cap for bot files). */
export const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;
/** PKCS#7 padded to a multiple of 32, WeCom's block (https://developer.work.weixin.qq.com/document/path/101463). */
const PAD_BLOCK = 32;

/** A media download that could not be read: not WeCom's bytes, or not for this key. */
export class WsMediaError extends Error {}

/** An aeskey as WeCom writes it (Base64 of 32 bytes), also URL-safe or unpadded; 64 hex digits too. */
export function aesKeyOf(aeskey: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(aeskey)
    ? Buffer.from(aeskey, 'hex')
    : Buffer.from(aeskey.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== 32) throw new WsMediaError(`the media aeskey decodes to ${key.length} bytes, not 32`);
  return key;
}

/** AES-256-CBC with IV = key[0:16], each of the 1..32 pad bytes checked. */
export function decryptWsMedia(data: Buffer, aeskey: string): Buffer {
  const key = aesKeyOf(aeskey);
  if (data.length === 0 || data.length % 16 !== 0)
    throw new WsMediaError(`encrypted media of ${data.length} bytes is not a positive multiple of 16`);
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(data), decipher.final()]);
  const pad = padded[padded.length - 1]!;
  if (pad < 1 || pad > PAD_BLOCK || pad > padded.length)
    throw new WsMediaError(`PKCS#7 pad ${pad} out of range 1..32 (not this aeskey's media?)`);
  for (let i = padded.length - pad; i < padded.length; i++) {
    if (padded[i] !== pad) throw new WsMediaError("PKCS#7 padding bytes differ (not this aeskey's media?)");
  }
  return padded.subarray(0, padded.length - pad);
}

/** GET a callback's media URL (no auth, valid 5 minutes) and decrypt it with its own aeskey. */
export async function downloadWsMedia(http: AxiosInstance, url: string, aeskey: string | undefined): Promise<Buffer> {
  const response = await http.get(url, { responseType: 'arraybuffer', maxContentLength: MAX_DOWNLOAD_BYTES });
  if (response.status !== 200) throw new WsMediaError(`HTTP ${response.status}`);
  const data = Buffer.from(response.data as ArrayBuffer);
  return aeskey ? decryptWsMedia(data, aeskey) : data;
}
