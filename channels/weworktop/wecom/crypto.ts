import { createCipheriv, createDecipheriv, type Decipher, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Why a callback failed the WeCom crypto checks; the route maps each code to a status. */
export type WeComCryptoErrorCode =
  | 'bad_signature'
  | 'bad_key'
  | 'bad_base64'
  | 'bad_ciphertext'
  | 'bad_padding'
  | 'bad_length'
  | 'bad_utf8'
  | 'receive_id_mismatch';

export class WeComCryptoError extends Error {
  constructor(
    readonly code: WeComCryptoErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WeComCryptoError';
  }
}

export interface WeComCryptoOptions {
  token: string;
  /** The 43-character EncodingAESKey from the admin console. */
  encodingAesKey: string;
  /** corp_id for app callbacks; "" for the AI bot (its plaintext carries no id). */
  receiveId: string;
}

/**
 * The four strings in code-unit order (as Array.prototype.sort orders strings), joined: the
 * signature's input. An in-place sort of four, as the callback's hot path must not copy arrays.
 */
function sortedConcat(a: string, b: string, c: string, d: string): string {
  const parts = [a, b, c, d];
  for (let i = 1; i < 4; i++) {
    const part = parts[i]!;
    let j = i - 1;
    for (; j >= 0 && parts[j]! > part; j--) parts[j + 1] = parts[j]!;
    parts[j + 1] = part;
  }
  return parts[0]! + parts[1]! + parts[2]! + parts[3]!;
}

/** WeCom pads to 32-byte blocks (not AES's 16), so Node's auto padding must stay off. */
const PAD_BLOCK = 32;
const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/;
/** WeCom's plaintexts are UTF-8; bytes that are not were corrupted or forged, so they are refused, not replaced with U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Callback crypto (docs/wecom-protocol.md; https://developer.work.weixin.qq.com/document/path/91144):
 * sha1 signatures, AES-256-CBC with IV = key[0:16], PKCS#7 to 32 bytes.
 */
export class WeComCrypto {
  private readonly key: Buffer;
  private readonly iv: Buffer;
  private readonly receiveId: Buffer;
  /** See decipher(). */
  private chain: Decipher | undefined;
  private readonly chainedTo = Buffer.alloc(16);

  constructor(private readonly options: WeComCryptoOptions) {
    // Not a strict Base64 check: real keys carry non-zero trailing bits (docs/wecom-protocol.md).
    if (!ENCODING_AES_KEY.test(options.encodingAesKey))
      throw new WeComCryptoError('bad_key', 'EncodingAESKey must be 43 letters or digits');
    this.key = Buffer.from(`${options.encodingAesKey}=`, 'base64');
    if (this.key.length !== 32) throw new WeComCryptoError('bad_key', 'EncodingAESKey does not decode to 32 bytes');
    this.iv = this.key.subarray(0, 16);
    this.receiveId = Buffer.from(options.receiveId, 'utf8');
  }

  /** hex(sha1(sort([token, timestamp, nonce, encrypt]).join(''))) */
  signature(timestamp: string, nonce: string, encrypt: string): string {
    return hash('sha1', sortedConcat(this.options.token, timestamp, nonce, encrypt), 'hex');
  }

  verifySignature(signature: string, timestamp: string, nonce: string, encrypt: string): boolean {
    const expected = Buffer.from(this.signature(timestamp, nonce, encrypt), 'utf8');
    const given = Buffer.from(signature.toLowerCase(), 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** URL verification (GET): checks the signature over echostr and returns the plaintext to answer with. */
  verifyUrl(query: { msg_signature: string; timestamp: string; nonce: string; echostr: string }): string {
    // A raw '+' in the query string arrives as a space; Base64 never contains spaces.
    const echostr = query.echostr.replace(/ /g, '+');
    if (!this.verifySignature(query.msg_signature, query.timestamp, query.nonce, echostr)) {
      throw new WeComCryptoError('bad_signature', 'msg_signature does not match the echostr (wrong token?)');
    }
    return this.decrypt(echostr)
      .replace(/^\uFEFF/, '')
      .trim();
  }

  /** A message callback (POST): checks the signature over `encrypt`, then decrypts it. */
  openCallback(query: { msg_signature: string; timestamp: string; nonce: string }, encrypt: string): string {
    if (!this.verifySignature(query.msg_signature, query.timestamp, query.nonce, encrypt)) {
      throw new WeComCryptoError('bad_signature', 'msg_signature does not match the body (wrong token, or not from WeCom)');
    }
    return this.decrypt(encrypt);
  }

  /** Decrypts an `Encrypt` value and checks its receive id. */
  decrypt(encrypt: string): string {
    return this.open(this.decryptBuffer(encrypt));
  }

  /** AES-decrypts and unpads without reading the layout: used for AI bot media downloads too. */
  decryptBuffer(data: string | Buffer): Buffer {
    let cipher: Buffer;
    if (typeof data === 'string') {
      cipher = Buffer.from(data, 'base64');
      // Node's decoder skips what is not Base64; WeCom's encoders write canonical Base64, so it must
      // encode back to the same text; cheaper than a regular expression (docs/performance.md).
      if (data === '' || cipher.toString('base64') !== data) throw new WeComCryptoError('bad_base64', 'Encrypt is not Base64');
    } else {
      cipher = data;
    }
    if (cipher.length === 0 || cipher.length % 16 !== 0)
      throw new WeComCryptoError('bad_ciphertext', `ciphertext length ${cipher.length} is not a positive multiple of 16`);
    const padded = this.decipher(cipher);
    const pad = padded[padded.length - 1]!;
    if (pad < 1 || pad > PAD_BLOCK || pad > padded.length)
      throw new WeComCryptoError('bad_padding', `PKCS#7 pad ${pad} out of range 1..32 (wrong aes_key?)`);
    for (let i = padded.length - pad; i < padded.length; i++) {
      if (padded[i] !== pad) throw new WeComCryptoError('bad_padding', 'PKCS#7 padding bytes differ (wrong aes_key?)');
    }
    return padded.subarray(0, padded.length - pad);
  }

  /**
   * AES-256-CBC decryption of whole blocks with WeCom's fixed IV, through one long-lived decipher:
   * setting one up costs more than decrypting a callback (docs/performance.md). CBC chains each
   * block to the ciphertext block before it, so the stream's first block of this message comes out
   * chained to the last message's last block instead of the IV; XOR-ing both back in corrects it.
   * Without auto padding the decipher hands back every block at once and never needs final().
   */
  private decipher(cipher: Buffer): Buffer {
    if (!this.chain) {
      this.chain = createDecipheriv('aes-256-cbc', this.key, this.iv).setAutoPadding(false);
      this.iv.copy(this.chainedTo);
    }
    let plain: Buffer;
    try {
      plain = this.chain.update(cipher);
    } catch (error) {
      this.chain = undefined;
      throw error;
    }
    for (let i = 0; i < 16; i++) plain[i] = plain[i]! ^ this.chainedTo[i]! ^ this.iv[i]!;
    cipher.copy(this.chainedTo, 0, cipher.length - 16);
    return plain;
  }

  /** Encrypts a reply or test message: random16 + msg_len + msg + receiveId. */
  encrypt(plaintext: string, random16: Buffer | string = randomBytes(16)): string {
    const random = Buffer.from(random16);
    if (random.length !== 16) throw new Error('random prefix must be 16 bytes');
    const message = Buffer.from(plaintext, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(message.length);
    const body = Buffer.concat([random, length, message, Buffer.from(this.options.receiveId, 'utf8')]);
    return this.encryptBuffer(body).toString('base64');
  }

  /** AES-encrypts with 32-byte PKCS#7 padding (no layout). */
  encryptBuffer(body: Buffer): Buffer {
    const pad = PAD_BLOCK - (body.length % PAD_BLOCK);
    const cipher = createCipheriv('aes-256-cbc', this.key, this.iv).setAutoPadding(false);
    return Buffer.concat([cipher.update(Buffer.concat([body, Buffer.alloc(pad, pad)])), cipher.final()]);
  }

  private open(plain: Buffer): string {
    if (plain.length < 20)
      throw new WeComCryptoError('bad_length', `decrypted payload is ${plain.length} bytes, shorter than its 20-byte header`);
    const length = plain.readUInt32BE(16);
    if (20 + length > plain.length) throw new WeComCryptoError('bad_length', `msg_len ${length} exceeds the decrypted payload`);
    const receiveId = plain.subarray(20 + length);
    if (!receiveId.equals(this.receiveId)) {
      throw new WeComCryptoError(
        'receive_id_mismatch',
        `receive id "${receiveId.toString('utf8')}" is not the configured "${this.options.receiveId}" (wrong corp_id, or another corp's callback)`,
      );
    }
    try {
      return UTF8.decode(plain.subarray(20, 20 + length));
    } catch {
      throw new WeComCryptoError('bad_utf8', 'decrypted message is not UTF-8');
    }
  }
}
