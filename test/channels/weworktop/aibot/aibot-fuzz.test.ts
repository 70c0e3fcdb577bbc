import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { WeComCrypto } from '../../../../channels/weworktop/wecom/crypto.js';
import { AiBotClient } from '../../../../fakes/wecom-client.js';
import {
  type Answer,
  aesWithoutPadding,
  answer,
  badPaddings,
  brokenQueries,
  flipBit,
  layout,
  notJson,
  notUtf8,
  otherReceiveIds,
  oversizedLengths,
  REFUSED,
  randomEncrypt,
  refusalCheck,
  withPkcs7,
  wrongLengths,
} from '../../../support/corrupt-callbacks.js';
import { eventually, startWeworktop, type WeworktopHarness } from '../../../support/weworktop-harness.js';

/**
 * The AI bot's callback URL over real HTTP (JSON envelope, receive id ""), fed corrupt callbacks
 * signed with the right token so that they reach decryption and JSON parsing. Each must get a 4xx
 * (README, Routes) and none may reach the pipeline, a response_url or message/send.
 */

const BOT_TOKEN = 'botFuzzToken01';
const BOT_KEY = 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR';
const PATH = '/wework_bot_callback';
const crypto = new WeComCrypto({ token: BOT_TOKEN, encodingAesKey: BOT_KEY, receiveId: '' });
// msgtype first: the 12 plaintext bytes a flip in the IV block can reach, '{"msgtype":"', are all structure.
const CALLBACK = {
  msgtype: 'text',
  msgid: 'fuzz-msg-0001',
  chattype: 'single',
  from: { userid: 'fuzzer' },
  response_url: 'http://127.0.0.1:9/unused',
  text: { content: 'hello bot' },
};
const MESSAGE = JSON.stringify(CALLBACK);
const VALID = crypto.encrypt(MESSAGE);
const RUNS = 120;

let h: WeworktopHarness;
before(async () => {
  h = await startWeworktop({ weworktop: { bot: { token: BOT_TOKEN, aes_key: BOT_KEY } } });
});
after(async () => {
  await h?.stop();
});

function signedQuery(encrypt: string): URLSearchParams {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(randomInt(100_000_000, 999_999_999));
  return new URLSearchParams({ msg_signature: crypto.signature(timestamp, nonce, encrypt), timestamp, nonce });
}

async function postBody(body: string | Uint8Array, query: string, contentType = 'application/json'): Promise<Answer> {
  return answer(await fetch(`${h.baseUrl}${PATH}?${query}`, { method: 'POST', body, headers: { 'content-type': contentType } }));
}

/** `{"encrypt": ...}` with the signature over `signOver` (the Encrypt value unless told). */
function postEncrypt(encrypt: string, signOver = encrypt): Promise<Answer> {
  return postBody(JSON.stringify({ encrypt }), signedQuery(signOver).toString());
}

/** Encrypts exactly these plaintext bytes, receive id "" unless given. */
function encryptBody(body: Buffer): string {
  return aesWithoutPadding(BOT_KEY, withPkcs7(body));
}

const sendPlaintext = (plaintext: string | Buffer) => postEncrypt(encryptBody(layout(Buffer.from(plaintext), '')));

const assertRefused = refusalCheck(() => h.openai);

describe('AI bot POST: signed but corrupt ciphertexts', () => {
  test('random encrypt values are 400 or 401', async () => {
    await fc.assert(
      fc.asyncProperty(randomEncrypt, async (encrypt) => assertRefused(await postEncrypt(encrypt), REFUSED, 'random encrypt')),
      { numRuns: RUNS },
    );
  });

  test('a truncated ciphertext is 400', async () => {
    const data = VALID.replace(/=+$/, '');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: data.length - 1 }), async (keep) =>
        assertRefused(await postEncrypt(data.slice(0, keep)), [400], `truncated to ${keep}`),
      ),
      { numRuns: RUNS },
    );
  });

  test('valid AES with a padding that is not 32-byte PKCS#7 is 400', async () => {
    await fc.assert(
      fc.asyncProperty(badPaddings(layout(Buffer.from(MESSAGE), '')), async ({ kind, padded }) =>
        assertRefused(await postEncrypt(aesWithoutPadding(BOT_KEY, padded)), [400], kind),
      ),
      { numRuns: RUNS },
    );
  });

  test('a msg_len longer than the rest is 400; a shorter one leaves a non-empty receive id, 401', async () => {
    const message = Buffer.from(MESSAGE);
    await fc.assert(
      fc.asyncProperty(wrongLengths(message, ''), async ({ declared, expected }) =>
        assertRefused(
          await postEncrypt(encryptBody(layout(message, '', declared))),
          [expected],
          `msg_len ${declared} for ${message.length} bytes`,
        ),
      ),
      { numRuns: RUNS },
    );
  });

  test('a receive id other than "" (an app callback\'s corp id, bytes) is 401', async () => {
    await fc.assert(
      fc.asyncProperty(otherReceiveIds(''), async (receiveId) =>
        assertRefused(
          await postEncrypt(encryptBody(layout(Buffer.from(MESSAGE), receiveId))),
          [401],
          `receive id ${JSON.stringify(receiveId)}`,
        ),
      ),
      { numRuns: RUNS },
    );
  });

  test('a flipped ciphertext bit is 401 without a new signature; re-signed in the first or last block, 400 or 401', async () => {
    const bits = Buffer.from(VALID, 'base64').length * 8;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bits - 1 }), async (bit) =>
        assertRefused(await postEncrypt(flipBit(VALID, bit), VALID), [401], `bit ${bit}`),
      ),
      { numRuns: RUNS },
    );
    // Middle blocks are left out on purpose: AES-CBC lets a re-signed flip there turn one valid JSON into another (see callback-fuzz).
    const edge = fc.oneof(fc.nat({ max: 127 }), fc.integer({ min: bits - 128, max: bits - 1 }));
    await fc.assert(
      fc.asyncProperty(edge, async (bit) => assertRefused(await postEncrypt(flipBit(VALID, bit)), REFUSED, `bit ${bit} re-signed`)),
      { numRuns: RUNS },
    );
  });

  test('a changed signature character is 401', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 39 }), fc.constantFrom(...'0123456789abcdef'), async (at, digit) => {
        const query = signedQuery(VALID);
        const signature = query.get('msg_signature')!;
        fc.pre(signature[at] !== digit);
        query.set('msg_signature', signature.slice(0, at) + digit + signature.slice(at + 1));
        assertRefused(await postBody(JSON.stringify({ encrypt: VALID }), query.toString()), [401], `signature digit ${at}`);
      }),
      { numRuns: RUNS },
    );
  });
});

const anyJson = fc.jsonValue({ maxDepth: 2 });
const notString = anyJson.filter((value) => typeof value !== 'string');
const notObject = anyJson.filter((value) => typeof value !== 'object' || value === null || Array.isArray(value));
const notArray = anyJson.filter((value) => !Array.isArray(value));

/** A valid callback with one field at `path` replaced by a value of the wrong type (undefined: removed). */
function mutated(
  base: Record<string, unknown>,
  path: ReadonlyArray<string | number>,
  wrong: fc.Arbitrary<unknown>,
): fc.Arbitrary<{ what: string; json: string }> {
  return wrong.map((value) => {
    const copy = structuredClone(base);
    let node = copy;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    if (value === undefined) delete node[path.at(-1)!];
    else node[path.at(-1)!] = value;
    return { what: `${path.join('.')} = ${JSON.stringify(value)}`, json: JSON.stringify(copy) };
  });
}

const MIXED = {
  ...CALLBACK,
  msgtype: 'mixed',
  text: undefined,
  mixed: {
    msg_item: [
      { msgtype: 'text', text: { content: '@bot hi' } },
      { msgtype: 'image', image: { url: 'http://127.0.0.1:9/i' } },
    ],
  },
};
const STREAM = { msgtype: 'stream', msgid: 'fuzz-refresh', from: { userid: 'fuzzer' }, stream: { id: 'stream-1' } };
const EVENT = { msgtype: 'event', msgid: 'fuzz-event', from: { userid: 'fuzzer' }, event: { eventtype: 'enter_chat' } };
const VOICE = { ...CALLBACK, msgtype: 'voice', text: undefined, voice: { content: 'transcript' } };
const QUOTING = {
  ...CALLBACK,
  quote: { msgtype: 'mixed', text: { content: 'quoted' }, mixed: { msg_item: [{ msgtype: 'text', text: { content: 'quoted' } }] } },
};

/** Every field the route reads, each with a value of the wrong type. */
const wrongShape = fc.oneof(
  mutated(CALLBACK, ['msgid'], fc.oneof(notString, fc.constant(undefined))),
  mutated(CALLBACK, ['msgtype'], fc.oneof(notString, fc.constant(undefined))),
  mutated(
    CALLBACK,
    ['chattype'],
    anyJson.filter((value) => value !== 'single' && value !== 'group'),
  ),
  mutated(CALLBACK, ['chatid'], notString),
  mutated(CALLBACK, ['aibotid'], notString),
  mutated(CALLBACK, ['response_url'], notString),
  mutated(CALLBACK, ['from'], notObject),
  mutated(CALLBACK, ['from', 'userid'], notString),
  mutated(CALLBACK, ['text'], notObject),
  mutated(CALLBACK, ['text', 'content'], notString),
  mutated(MIXED, ['mixed'], notObject),
  mutated(MIXED, ['mixed', 'msg_item'], notArray),
  mutated(MIXED, ['mixed', 'msg_item', 0], notObject),
  mutated(MIXED, ['mixed', 'msg_item', 0, 'msgtype'], notString),
  mutated(MIXED, ['mixed', 'msg_item', 0, 'text', 'content'], notString),
  mutated(MIXED, ['mixed', 'msg_item', 1, 'image', 'url'], notString),
  mutated(VOICE, ['voice', 'content'], notString),
  mutated(QUOTING, ['quote'], notObject),
  mutated(QUOTING, ['quote', 'msgtype'], notString),
  mutated(QUOTING, ['quote', 'text', 'content'], notString),
  mutated(QUOTING, ['quote', 'mixed', 'msg_item'], notArray),
  mutated(QUOTING, ['quote', 'mixed', 'msg_item', 0, 'text', 'content'], notString),
  mutated(STREAM, ['stream'], notObject),
  mutated(STREAM, ['stream', 'id'], notString),
  mutated(EVENT, ['event', 'eventtype'], notString),
);

describe('AI bot POST: decrypted plaintexts that are not an AI bot callback', () => {
  test('non-JSON plaintext is 400', async () => {
    const text = notJson;
    await fc.assert(
      fc.asyncProperty(text, async (s) => assertRefused(await sendPlaintext(s), [400], `plaintext ${JSON.stringify(s.slice(0, 80))}`)),
      { numRuns: RUNS },
    );
  });

  test('JSON that is not an object with msgtype and msgid (arrays, scalars, other objects) is 400', async () => {
    const json = fc.oneof(
      anyJson.filter((value) => typeof value !== 'object' || value === null || Array.isArray(value)),
      fc.object({ maxDepth: 2 }),
    );
    await fc.assert(
      fc.asyncProperty(json, async (value) =>
        assertRefused(await sendPlaintext(JSON.stringify(value)), [400], `plaintext ${JSON.stringify(value).slice(0, 80)}`),
      ),
      { numRuns: RUNS },
    );
  });

  test('a callback with any field of the wrong type is 400, not half-read', async () => {
    await fc.assert(
      fc.asyncProperty(wrongShape, async ({ what, json }) => assertRefused(await sendPlaintext(json), [400], what)),
      { numRuns: 200 },
    );
  });

  test('deeply nested JSON (alone, or as text.content) is 400', async () => {
    const nested = fc
      .tuple(fc.integer({ min: 2, max: 20000 }), fc.constantFrom('[', '{"a":'), fc.boolean())
      .map(([depth, open, inside]) => {
        const deep = `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`;
        return inside ? MESSAGE.replace('"hello bot"', deep) : deep;
      });
    await fc.assert(
      fc.asyncProperty(nested, async (json) => assertRefused(await sendPlaintext(json), [400], `${json.length}-character nested JSON`)),
      { numRuns: RUNS },
    );
  });

  test('a well-formed callback over 64 KiB is 400', async () => {
    const huge = fc
      .integer({ min: 64 * 1024, max: 600 * 1024 })
      .map((size) => JSON.stringify({ ...CALLBACK, text: { content: 'x'.repeat(size) } }));
    await fc.assert(
      fc.asyncProperty(huge, async (json) => assertRefused(await sendPlaintext(json), [400], `${json.length}-character callback`)),
      { numRuns: 20 },
    );
  });

  test('a callback that is not valid UTF-8 is 400', async () => {
    await fc.assert(
      fc.asyncProperty(notUtf8(Buffer.from(MESSAGE)), async (bytes) =>
        assertRefused(await sendPlaintext(bytes), [400], `bytes ${bytes.toString('hex').slice(0, 80)}`),
      ),
      { numRuns: RUNS },
    );
  });
});

/** A sender that is not one: no `from`, no userid, an empty or blank one. */
const noSender = fc.constantFrom<Record<string, unknown>>(
  { from: undefined },
  { from: {} },
  { from: { userid: '' } },
  { from: { userid: '  ' } },
  { from: { corpid: 'wwcorp' } },
);

describe('AI bot POST: signed messages without a sender', () => {
  test('a user message (text, voice, mixed, image, file, or a msgtype to come) with no from.userid is 400 with one log line, never answered to ""', async () => {
    const logged = h.logs.length;
    const kinds = fc.constantFrom<Record<string, unknown>>(
      CALLBACK,
      VOICE,
      MIXED,
      { ...CALLBACK, msgtype: 'image', text: undefined, image: { url: 'http://127.0.0.1:9/i' } },
      { ...CALLBACK, msgtype: 'file', text: undefined, file: { url: 'http://127.0.0.1:9/f' } },
      { ...CALLBACK, msgtype: 'location', text: undefined },
    );
    await fc.assert(
      fc.asyncProperty(kinds, noSender, fc.nat(), async (kind, sender, id) => {
        const before = h.logs.length;
        const json = JSON.stringify({ ...kind, ...sender, msgid: `nosender-${id}` });
        assertRefused(await sendPlaintext(json), [400], json);
        // One line, the first time: an identical refusal within a minute is only counted (RepeatedLineFilter).
        const lines = h.logs.slice(before);
        assert.ok(lines.length <= 1, lines.join(''));
        if (lines.length === 1) assert.match(lines[0]!, /AI bot callback rejected status=400 reason=signed \w+ message without a sender/);
      }),
      { numRuns: 60 },
    );
    const refused = h.logs.slice(logged).join('');
    for (const msgtype of ['text', 'voice', 'mixed', 'image', 'file', 'location'])
      assert.ok(refused.includes(`signed ${msgtype} message without a sender`), `${msgtype}: ${refused}`);
  });

  test('an event or a stream poll without a sender is not refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(EVENT, STREAM), noSender, async (kind, sender) => {
        const got = await sendPlaintext(JSON.stringify({ ...kind, ...sender }));
        assert.equal(got.status, 200, got.body);
      }),
      { numRuns: 20 },
    );
  });
});

describe('AI bot POST: bodies and query strings', () => {
  test('a body that is not JSON (any content type) is 400', async () => {
    const text = notJson;
    await fc.assert(
      fc.asyncProperty(text, fc.constantFrom('application/json', 'text/plain', 'text/xml'), async (body, type) =>
        assertRefused(
          await postBody(body, signedQuery(VALID).toString(), type),
          [400],
          `${type} body ${JSON.stringify(body.slice(0, 80))}`,
        ),
      ),
      { numRuns: RUNS },
    );
  });

  test('JSON without a string "encrypt" (scalars, arrays, other objects, deep nesting, __proto__) is 400', async () => {
    const json = fc
      .oneof(
        anyJson.map((value) => JSON.stringify(value)),
        anyJson.map((value) => JSON.stringify({ encrypt: value })).filter((body) => typeof JSON.parse(body).encrypt !== 'string'),
        fc.integer({ min: 2, max: 20000 }).map((depth) => `${'{"encrypt":'.repeat(depth)}"x"${'}'.repeat(depth)}`),
        fc.constant(`{"__proto__":{"encrypt":"${VALID}"}}`),
        fc.constant(`{"constructor":{"prototype":{"encrypt":"${VALID}"}}}`),
      )
      .filter((body) => {
        const parsed = JSON.parse(body) as unknown;
        return (
          typeof parsed !== 'object' ||
          parsed === null ||
          !Object.hasOwn(parsed, 'encrypt') ||
          typeof (parsed as { encrypt: unknown }).encrypt !== 'string' ||
          (parsed as { encrypt: string }).encrypt === ''
        );
      });
    await fc.assert(
      fc.asyncProperty(json, async (body) =>
        assertRefused(await postBody(body, signedQuery(VALID).toString()), [400], `body ${body.slice(0, 100)}`),
      ),
      { numRuns: RUNS },
    );
  });

  test('bytes that are not UTF-8 are 400 or 401', async () => {
    const bytes = fc
      .uint8Array({ minLength: 1, maxLength: 300 })
      .map((b) => Buffer.concat([Buffer.from('{"encrypt":"'), Buffer.from(b), Buffer.from([0xff]), Buffer.from('"}')]));
    await fc.assert(
      fc.asyncProperty(bytes, fc.constantFrom('application/json', 'text/plain'), async (body, type) =>
        assertRefused(await postBody(body, signedQuery(VALID).toString(), type), REFUSED, `bytes ${body.toString('hex').slice(0, 60)}`),
      ),
      { numRuns: RUNS },
    );
  });

  test('a body over 1 MiB is 413, with or without a Content-Length', async () => {
    await fc.assert(
      fc.asyncProperty(oversizedLengths, fc.boolean(), async (size, chunked) => {
        const bytes = Buffer.from(JSON.stringify({ encrypt: 'A'.repeat(size) }));
        const body = chunked ? new Blob([bytes]).stream() : bytes;
        const response = await fetch(`${h.baseUrl}${PATH}?${signedQuery(VALID)}`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
          ...(chunked ? { duplex: 'half' } : {}),
        } as RequestInit);
        assertRefused(await answer(response), [413], `${size} bytes${chunked ? ', chunked' : ''}`);
      }),
      { numRuns: 10 },
    );
  });

  test('missing, empty or repeated signature parameters are 400', async () => {
    const valid = Object.fromEntries(signedQuery(VALID));
    await fc.assert(
      fc.asyncProperty(brokenQueries(valid), async (query) =>
        assertRefused(await postBody(JSON.stringify({ encrypt: VALID }), query), [400], `query ${query}`),
      ),
      { numRuns: RUNS },
    );
  });
});

describe('AI bot GET (URL verification): fuzzed echostr', () => {
  const ECHO = crypto.encrypt('1616140317555161061');
  const verify = async (echostr: string, signOver = echostr) => {
    const query = signedQuery(signOver);
    query.set('echostr', echostr);
    return answer(await fetch(`${h.baseUrl}${PATH}?${query}`));
  };

  test('random, truncated or badly padded echostr is 400 or 401; an unsigned flip is 401', async () => {
    await fc.assert(
      fc.asyncProperty(randomEncrypt, async (echostr) =>
        assertRefused(await verify(echostr), REFUSED, `echostr ${JSON.stringify(echostr.slice(0, 60))}`),
      ),
      { numRuns: RUNS },
    );
    const data = ECHO.replace(/=+$/, '');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: data.length - 1 }), async (keep) =>
        assertRefused(await verify(data.slice(0, keep)), [400], `truncated to ${keep}`),
      ),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(badPaddings(layout(Buffer.from('1616140317555161061'), '')), async ({ kind, padded }) =>
        assertRefused(await verify(aesWithoutPadding(BOT_KEY, padded)), [400], kind),
      ),
      { numRuns: RUNS },
    );
    const bits = Buffer.from(ECHO, 'base64').length * 8;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bits - 1 }), async (bit) =>
        assertRefused(await verify(flipBit(ECHO, bit), ECHO), [401], `bit ${bit}`),
      ),
      { numRuns: RUNS },
    );
  });

  test('missing, empty or repeated parameters are 400', async () => {
    const valid = Object.fromEntries(signedQuery(ECHO));
    valid.echostr = ECHO;
    await fc.assert(
      fc.asyncProperty(brokenQueries(valid), async (query) =>
        assertRefused(await answer(await fetch(`${h.baseUrl}${PATH}?${query}`)), [400], `query ${query}`),
      ),
      { numRuns: RUNS },
    );
  });
});

describe('after the fuzzing', () => {
  test('nothing reached the pipeline, a response_url or message/send, and the bot still answers', async () => {
    await sleep(200);
    assert.equal(h.openai.chatRequests().length, 0, 'a corrupt callback reached the LLM');
    assert.equal(h.wecom.botResponses.length, 0, 'a corrupt callback was answered through a response_url');
    assert.equal(h.wecom.sent.length, 0, 'a corrupt callback caused a message/send');
    const bot = new AiBotClient({ url: `${h.baseUrl}${PATH}`, token: BOT_TOKEN, encodingAesKey: BOT_KEY });
    assert.deepEqual(await bot.verifyUrl('still-alive'), { status: 200, body: 'still-alive' });
    const first = await bot.sendText('zhangsan', 'are you alive?');
    assert.equal(first.status, 200, first.body);
    const stream = (first.answer as { stream: { id: string } }).stream;
    await eventually(() => assert.equal(h.openai.chatRequests().length, 1, 'the valid message never reached the LLM'));
    for (let poll = 0; ; poll++) {
      const refreshed = (await bot.refresh('zhangsan', stream.id)).answer as { stream: { finish: boolean; content: string } };
      if (refreshed.stream.finish) {
        assert.equal(refreshed.stream.content, 'echo: are you alive?');
        break;
      }
      assert.ok(poll < 150, 'the answer stream never finished');
      await sleep(20);
    }
  });
});
