import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { WeComCryptoError, type WeComCryptoErrorCode } from '../../channels/weworktop/wecom/crypto.js';

/**
 * Builders and fast-check arbitraries for callbacks that are corrupt in one precise way, shared by
 * the route fuzz tests. WeComCrypto only makes well-formed ciphertexts, so the ones with a lying
 * msg_len or a broken PKCS#7 padding are built here with raw AES (spec §1.5–1.7).
 */

/** Answers a refused callback may get: 400 undecryptable/malformed, 401 forged or foreign (README, Routes). */
export const REFUSED: readonly number[] = [400, 401];

const BLOCK = 16;
const PAD_BLOCK = 32;

/** AES-256-CBC with WeCom's key and IV (key[0:16]) and no padding at all: the caller decides the padding. */
export function aesWithoutPadding(encodingAesKey: string, plain: Buffer): string {
  if (plain.length === 0 || plain.length % BLOCK !== 0) throw new Error(`plaintext of ${plain.length} bytes is not whole AES blocks`);
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, BLOCK)).setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

/** random16 + msg_len (big-endian) + msg + receiveId (spec §1.7); `declaredLength` may lie about msg_len. */
export function layout(message: Buffer, receiveId: string | Buffer, declaredLength = message.length): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(declaredLength);
  return Buffer.concat([Buffer.alloc(BLOCK, 0x52), length, message, Buffer.from(receiveId)]);
}

/** WeCom's PKCS#7 to a multiple of 32 bytes. */
export function withPkcs7(body: Buffer): Buffer {
  const pad = PAD_BLOCK - (body.length % PAD_BLOCK);
  return Buffer.concat([body, Buffer.alloc(pad, pad)]);
}

/** Flips one bit of the ciphertext behind a Base64 Encrypt value. */
export function flipBit(encrypt: string, bit: number): string {
  const bytes = Buffer.from(encrypt, 'base64');
  bytes[bit >> 3]! ^= 1 << (bit & 7);
  return bytes.toString('base64');
}

/** Encrypt values that are not WeCom ciphertexts: any text, any Base64, whole AES blocks of noise. */
export const randomEncrypt: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.base64String({ maxLength: 400 }),
  fc
    .integer({ min: 1, max: 24 })
    .chain((blocks) => fc.uint8Array({ minLength: blocks * BLOCK, maxLength: blocks * BLOCK }))
    .map((bytes) => Buffer.from(bytes).toString('base64')),
);

export type BadPadding = {
  kind: 'pad byte 0' | 'pad byte over 32' | 'inconsistent pad bytes' | 'pad longer than the padding';
  padded: Buffer;
};

/**
 * A body (layout) followed by padding that decrypts as AES but is not WeCom's PKCS#7: the last
 * byte 0 or above 32, or some of the last `pad` bytes differing from `pad`. Every variant must be
 * refused as bad padding, never read as a shorter or longer message. `body` must end in text (a
 * receive id, or a message when the receive id is ""), whose bytes are never 1..32.
 */
export function badPaddings(body: Buffer): fc.Arbitrary<BadPadding> {
  const short = BLOCK - (body.length % BLOCK);
  // The padding region: 1..32 bytes bringing the body to whole AES blocks (at least 2 bytes, so one can differ).
  const lengths = [short, short + BLOCK].filter((length) => length >= 2 && length <= PAD_BLOCK);
  return fc.constantFrom(...lengths).chain((length) =>
    fc.uint8Array({ minLength: length, maxLength: length }).chain((noise) => {
      const region = Buffer.from(noise);
      const padded = (last: number) => Buffer.concat([body, Buffer.from(region.subarray(0, length - 1)), Buffer.from([last])]);
      // A pad value reaching past the padding into the receive id or message (never into the header): text bytes, never equal to it.
      const longest = Math.min(PAD_BLOCK, length + body.length - 20);
      const tooLong =
        longest > length
          ? [
              fc
                .integer({ min: length + 1, max: longest })
                .map(
                  (pad): BadPadding => ({ kind: 'pad longer than the padding', padded: Buffer.concat([body, Buffer.alloc(length, pad)]) }),
                ),
            ]
          : [];
      return fc.oneof(
        fc.constant<BadPadding>({ kind: 'pad byte 0', padded: padded(0) }),
        fc.integer({ min: PAD_BLOCK + 1, max: 255 }).map((last): BadPadding => ({ kind: 'pad byte over 32', padded: padded(last) })),
        fc.tuple(fc.integer({ min: 2, max: length }), fc.nat(), fc.integer({ min: 1, max: 255 })).map(([pad, at, delta]): BadPadding => {
          const bytes = Buffer.concat([body, Buffer.alloc(length, pad)]);
          const wrong = bytes.length - pad + (at % (pad - 1));
          bytes[wrong] = (pad + delta) % 256;
          return { kind: 'inconsistent pad bytes', padded: bytes };
        }),
        ...tooLong,
      );
    }),
  );
}

/** A msg_len that is not the message's length, and the answer it must get. */
export function wrongLengths(message: Buffer, receiveId: string): fc.Arbitrary<{ declared: number; expected: number }> {
  const actual = message.length;
  const room = actual + Buffer.byteLength(receiveId);
  return fc
    .oneof(
      fc.integer({ min: 0, max: actual - 1 }),
      fc.integer({ min: actual + 1, max: room + 64 }),
      fc.integer({ min: room + 1, max: 0xffff_ffff }),
    )
    .map((declared) => ({
      declared,
      // Longer than what follows the header: bad_length (400). Otherwise the tail read as the receive id is wrong (401).
      expected: declared > room ? 400 : 401,
    }));
}

/** A receive id other than `configured`, as text or as bytes that are not even UTF-8. */
export function otherReceiveIds(configured: string): fc.Arbitrary<string | Buffer> {
  return fc
    .oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constant(`${configured} `),
      fc.constant(configured.slice(1)),
      fc.uint8Array({ minLength: 1, maxLength: 24 }).map((bytes) => Buffer.from([0xff, ...bytes])),
    )
    .filter((id) => !Buffer.from(id).equals(Buffer.from(configured)));
}

/** Plaintexts that are not UTF-8: the message with bytes that no UTF-8 decoder accepts spliced in. */
export function notUtf8(message: Buffer): fc.Arbitrary<Buffer> {
  const invalid = fc.constantFrom([0xff], [0xc0, 0xaf], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]);
  return fc
    .tuple(fc.integer({ min: 0, max: message.length }), invalid)
    .map(([at, bytes]) => Buffer.concat([message.subarray(0, at), Buffer.from(bytes), message.subarray(at)]));
}

/** Bodies over the 1 MiB limit (README, Routes: 413). */
export const oversizedLengths: fc.Arbitrary<number> = fc.integer({ min: 1024 * 1024 + 1, max: 1024 * 1024 + 256 * 1024 });

/** Ways to lose the signature parameters: absent, empty or repeated (never all three present and single). */
export function brokenQueries(valid: Record<string, string>): fc.Arbitrary<string> {
  const names = Object.keys(valid);
  const fate = fc.constantFrom('absent', 'empty', 'repeated', 'kept');
  return fc
    .tuple(...names.map(() => fate))
    .filter((fates) => fates.some((f) => f !== 'kept'))
    .map((fates) => {
      const query = new URLSearchParams();
      names.forEach((name, i) => {
        const value = valid[name]!;
        if (fates[i] === 'empty') query.append(name, '');
        if (fates[i] === 'kept') query.append(name, value);
        if (fates[i] === 'repeated') {
          query.append(name, value);
          query.append(name, value);
        }
      });
      return query.toString();
    });
}

/** What a route answered. */
export interface Answer {
  status: number;
  body: string;
}

export async function answer(response: Response): Promise<Answer> {
  return { status: response.status, body: await response.text() };
}

/** Checks a refusal: one of the allowed statuses, and nothing reached the fake LLM. */
export function refusalCheck(llm: () => { chatRequests(): unknown[] }): (got: Answer, allowed: readonly number[], what: string) => void {
  return (got, allowed, what) => {
    assert.ok(allowed.includes(got.status), `${what}: expected ${allowed.join(' or ')}, got ${got.status} ${got.body.slice(0, 200)}`);
    assert.equal(llm().chatRequests().length, 0, `${what}: reached the LLM`);
  };
}

/** Any text that JSON.parse refuses. */
export const notJson: fc.Arbitrary<string> = fc.string({ unit: 'binary', maxLength: 400 }).filter((text) => {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
});

/** The WeComCryptoError code `fn` throws ('no error' if it returns); anything else thrown fails the test. */
export function cryptoErrorCode(fn: () => unknown): WeComCryptoErrorCode | 'no error' {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof WeComCryptoError, String(error));
    return error.code;
  }
  return 'no error';
}
