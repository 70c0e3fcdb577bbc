import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { WeComCrypto } from '../../../../channels/weworktop/wecom/crypto.js';
import { buildXml } from '../../../../channels/weworktop/wecom/xml.js';
import {
  type Answer,
  aesWithoutPadding,
  answer,
  badPaddings,
  brokenQueries,
  flipBit,
  layout,
  notUtf8,
  otherReceiveIds,
  oversizedLengths,
  REFUSED,
  randomEncrypt,
  refusalCheck,
  withPkcs7,
  wrongLengths,
} from '../../../support/corrupt-callbacks.js';
import {
  AES_KEY,
  AGENT_ID,
  CORP_ID,
  eventually,
  startWeworktop,
  TOKEN,
  type WeworktopHarness,
} from '../../../support/weworktop-harness.js';

/**
 * The self-built app's callback URL over real HTTP, fed corrupt callbacks that are signed with the
 * right token, so they pass the signature check and exercise decryption and parsing. Each must get
 * the 4xx README promises (Routes) and none may reach the pipeline.
 */

const crypto = new WeComCrypto({ token: TOKEN, encodingAesKey: AES_KEY, receiveId: CORP_ID });
const MESSAGE = buildXml({
  ToUserName: CORP_ID,
  FromUserName: 'fuzzer',
  CreateTime: 1700000000,
  MsgType: 'text',
  Content: '模糊测试 fuzz',
  MsgId: '4561255354251345929',
  AgentID: Number(AGENT_ID),
});
const VALID = crypto.encrypt(MESSAGE);
const RUNS = 120;

let h: WeworktopHarness;
before(async () => {
  h = await startWeworktop();
});
after(async () => {
  await h?.stop();
});

const now = () => String(Math.floor(Date.now() / 1000));
const nonce = () => String(randomInt(100_000_000, 999_999_999));

function signedQuery(encrypt: string, extra: Record<string, string> = {}): URLSearchParams {
  const timestamp = now();
  const n = nonce();
  return new URLSearchParams({ msg_signature: crypto.signature(timestamp, n, encrypt), timestamp, nonce: n, ...extra });
}

/** A POST the way WeCom sends it, with the signature over `signOver` (the Encrypt value unless told). */
async function postEncrypt(encrypt: string, signOver = encrypt): Promise<Answer> {
  const body = buildXml({ ToUserName: CORP_ID, Encrypt: encrypt, AgentID: AGENT_ID });
  return postBody(body, signedQuery(signOver).toString());
}

async function postBody(body: string | Uint8Array, query: string, contentType = 'text/xml'): Promise<Answer> {
  return answer(await fetch(`${h.baseUrl}/wework_callback?${query}`, { method: 'POST', body, headers: { 'content-type': contentType } }));
}

/** The console's URL check with this echostr, signed over `signOver`. */
async function verify(echostr: string, signOver = echostr): Promise<Answer> {
  const query = signedQuery(signOver);
  query.set('echostr', echostr);
  return answer(await fetch(`${h.baseUrl}/wework_callback?${query}`));
}

/** Encrypts a plaintext that WeComCrypto.encrypt cannot express (bytes, another receive id, a lying msg_len). */
function encryptBody(body: Buffer): string {
  return aesWithoutPadding(AES_KEY, withPkcs7(body));
}

const assertRefused = refusalCheck(() => h.openai);

describe('app callback POST: signed but corrupt ciphertexts', () => {
  test('random Encrypt values (any text, any Base64, whole AES blocks of noise) are 400 or 401', async () => {
    await fc.assert(
      fc.asyncProperty(randomEncrypt, async (encrypt) => assertRefused(await postEncrypt(encrypt), REFUSED, 'random Encrypt')),
      { numRuns: RUNS },
    );
  });

  test('a truncated ciphertext is 400', async () => {
    const data = VALID.replace(/=+$/, '');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: data.length - 1 }), async (keep) =>
        assertRefused(await postEncrypt(data.slice(0, keep)), [400], `truncated to ${keep} characters`),
      ),
      { numRuns: RUNS },
    );
  });

  test('valid AES with a padding that is not 32-byte PKCS#7 (0, over 32, inconsistent bytes) is 400', async () => {
    const body = layout(Buffer.from(MESSAGE), CORP_ID);
    await fc.assert(
      fc.asyncProperty(badPaddings(body), async ({ kind, padded }) =>
        assertRefused(await postEncrypt(aesWithoutPadding(AES_KEY, padded)), [400], kind),
      ),
      { numRuns: RUNS },
    );
  });

  test('a msg_len longer than the rest is 400; a shorter one leaves a wrong receive id, 401', async () => {
    const message = Buffer.from(MESSAGE);
    await fc.assert(
      fc.asyncProperty(wrongLengths(message, CORP_ID), async ({ declared, expected }) =>
        assertRefused(
          await postEncrypt(encryptBody(layout(message, CORP_ID, declared))),
          [expected],
          `msg_len ${declared} for ${message.length} bytes`,
        ),
      ),
      { numRuns: RUNS },
    );
  });

  test('another receive id (another corp, or not even UTF-8) is 401', async () => {
    await fc.assert(
      fc.asyncProperty(otherReceiveIds(CORP_ID), async (receiveId) =>
        assertRefused(
          await postEncrypt(encryptBody(layout(Buffer.from(MESSAGE), receiveId))),
          [401],
          `receive id ${JSON.stringify(receiveId)}`,
        ),
      ),
      { numRuns: RUNS },
    );
  });

  test('any flipped ciphertext bit without a new signature is 401, and so is any changed signature character', async () => {
    const bits = Buffer.from(VALID, 'base64').length * 8;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bits - 1 }), async (bit) =>
        assertRefused(await postEncrypt(flipBit(VALID, bit), VALID), [401], `bit ${bit} flipped`),
      ),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 39 }), fc.constantFrom(...'0123456789abcdef'), async (at, digit) => {
        const query = signedQuery(VALID);
        const signature = query.get('msg_signature')!;
        fc.pre(signature[at] !== digit);
        query.set('msg_signature', signature.slice(0, at) + digit + signature.slice(at + 1));
        assertRefused(
          await postBody(buildXml({ ToUserName: CORP_ID, Encrypt: VALID, AgentID: AGENT_ID }), query.toString()),
          [401],
          `signature digit ${at} changed`,
        );
      }),
      { numRuns: RUNS },
    );
  });

  // AES-CBC has no integrity of its own: flipping a bit of block i garbles plaintext block i and flips
  // the same bit of block i + 1, so a re-signed flip in the middle of a long text field can be a
  // different valid message (only the token, i.e. the signature, protects it). Flips in the IV block
  // only garble the random prefix and hit msg_len or the first 12 bytes, "<xml><ToUser"; flips in the
  // last block garble the padding and the receive id. Both must always be refused.
  test('a re-signed bit flip in the first block (msg_len, "<xml><ToUser") or the last (padding, receive id) is 400 or 401', async () => {
    const bits = Buffer.from(VALID, 'base64').length * 8;
    const bit = fc.oneof(fc.nat({ max: 127 }), fc.integer({ min: bits - 128, max: bits - 1 }));
    await fc.assert(
      fc.asyncProperty(bit, async (b) => assertRefused(await postEncrypt(flipBit(VALID, b)), REFUSED, `bit ${b} flipped and re-signed`)),
      { numRuns: RUNS },
    );
  });
});

/** Pieces of XML and of things that break XML parsers; never "MsgType", so nothing built from them is a message. */
const xmlPiece = fc.oneof(
  fc.constantFrom(
    '<xml>',
    '</xml>',
    '<Content>',
    '</Content>',
    '<FromUserName>',
    '</FromUserName>',
    '<a>',
    '</a>',
    '<a/>',
    '<a b="1">',
    '<__proto__>',
    '</__proto__>',
    '<constructor>',
    '</constructor>',
    '<![CDATA[',
    ']]>',
    '<!--',
    '-->',
    '<?xml version="1.0"?>',
    '<?pi x?>',
    '<!DOCTYPE xml [<!ENTITY e "eeeeeeeeee">]>',
    '<!ENTITY',
    '&e;',
    '&amp;',
    '&#0;',
    '&#x110000;',
    '&',
    '<',
    '>',
    '/',
    '"',
    '=',
    ' ',
    '\n',
    '\u0000',
    '\uFEFF',
    '中文',
    'text',
  ),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const xmlSoup = fc.array(xmlPiece, { maxLength: 60 }).map((pieces) => pieces.join(''));

describe('app callback POST: decrypted plaintexts that are not a WeCom message', () => {
  const send = (plaintext: string | Buffer) => postEncrypt(encryptBody(layout(Buffer.from(plaintext), CORP_ID)));

  test('non-XML plaintext is 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 400 }), async (text) =>
        assertRefused(await send(text), [400], `plaintext ${JSON.stringify(text.slice(0, 80))}`),
      ),
      { numRuns: RUNS },
    );
  });

  test('XML-like soup (CDATA, comments, DOCTYPE, entities, __proto__ tags), bare or inside <xml>, is 400', async () => {
    const soup = fc.oneof(
      xmlSoup,
      xmlSoup.map((inner) => `<xml>${inner}</xml>`),
    );
    await fc.assert(
      fc.asyncProperty(soup, async (text) => assertRefused(await send(text), [400], `plaintext ${JSON.stringify(text.slice(0, 120))}`)),
      { numRuns: RUNS },
    );
  });

  test('a message with a field nested 2 to 5000 levels deep is 400', async () => {
    const nested = fc.tuple(fc.integer({ min: 2, max: 5000 }), fc.constantFrom('n', 'Content', 'xml', '__proto__', 'constructor'));
    await fc.assert(
      fc.asyncProperty(nested, async ([depth, name]) => {
        const plaintext = `<xml><FromUserName>fuzzer</FromUserName><MsgType>text</MsgType>${`<${name}>`.repeat(depth)}x${`</${name}>`.repeat(depth)}</xml>`;
        assertRefused(await send(plaintext), [400], `<${name}> nested ${depth} deep`);
      }),
      { numRuns: RUNS },
    );
  });

  test('a flat message over 64 KiB, or with hundreds of fields, is 400', async () => {
    const huge = fc.oneof(
      fc
        .integer({ min: 64 * 1024 + 1, max: 600 * 1024 })
        .map((size) => buildXml({ FromUserName: 'fuzzer', MsgType: 'text', Content: 'x'.repeat(size) })),
      fc.integer({ min: 65, max: 3000 }).map((count) =>
        buildXml({
          FromUserName: 'fuzzer',
          MsgType: 'text',
          ...Object.fromEntries(Array.from({ length: count }, (_, i) => [`F${i}`, 'v'])),
        }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(huge, async (plaintext) => assertRefused(await send(plaintext), [400], `${plaintext.length}-character message`)),
      { numRuns: 30 },
    );
  });

  test('a message that is not valid UTF-8 is 400', async () => {
    await fc.assert(
      fc.asyncProperty(notUtf8(Buffer.from(MESSAGE)), async (plaintext) =>
        assertRefused(await send(plaintext), [400], `bytes ${plaintext.toString('hex').slice(0, 80)}`),
      ),
      { numRuns: RUNS },
    );
  });
});

describe('app callback POST: signed messages without a sender', () => {
  const send = (fields: Record<string, string | number>) =>
    postEncrypt(crypto.encrypt(buildXml({ ToUserName: CORP_ID, CreateTime: 1700000000, AgentID: Number(AGENT_ID), ...fields })));
  const userMessages = fc.constantFrom<Record<string, string>>(
    { MsgType: 'text', Content: '你好' },
    { MsgType: 'image', PicUrl: 'https://wework.qpic.cn/x', MediaId: 'media-1' },
    { MsgType: 'voice', MediaId: 'media-2', Format: 'amr' },
    { MsgType: 'video', MediaId: 'media-3', ThumbMediaId: 'media-4' },
    { MsgType: 'file', MediaId: 'media-5', FileName: 'a.pdf' },
    { MsgType: 'location', Location_X: '23.1', Location_Y: '113.3', Scale: '15', Label: '广州' },
    { MsgType: 'link', Title: 't', Description: 'd', Url: 'https://example.com' },
    { MsgType: 'newkind' },
  );
  // Absent, empty, blank.
  const noSender = fc.constantFrom<Record<string, string>>({}, { FromUserName: '' }, { FromUserName: '   ' });

  test('a user message (text, image, voice, ...) with no FromUserName is 400 with one log line, never answered to ""', async () => {
    const logged = h.logs.length;
    await fc.assert(
      fc.asyncProperty(userMessages, noSender, fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }), async (message, sender, id) => {
        const before = h.logs.length;
        assertRefused(await send({ ...message, ...sender, MsgId: String(id) }), [400], `${message.MsgType} with ${JSON.stringify(sender)}`);
        // One line, the first time: an identical refusal within a minute is only counted (RepeatedLineFilter).
        const lines = h.logs.slice(before);
        assert.ok(lines.length <= 1, lines.join(''));
        if (lines.length === 1)
          assert.match(
            lines[0]!,
            /message callback rejected agent=\d+ status=400 reason=signed \w+ message without a sender \(empty FromUserName\)/,
          );
      }),
      { numRuns: 60 },
    );
    const refused = h.logs.slice(logged).join('');
    for (const msgtype of ['text', 'image', 'voice', 'video', 'file', 'location', 'link', 'newkind'])
      assert.ok(refused.includes(`signed ${msgtype} message without a sender`), `${msgtype}: ${refused}`);
  });

  test("微信客服's kf_msg_or_event (no sender by design) with kf off is acknowledged and goes no further", async () => {
    const before = h.logs.length;
    const response = await send({
      MsgType: 'event',
      Event: 'kf_msg_or_event',
      Token: 'ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR',
      OpenKfId: 'wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw',
    });
    assert.equal(response.status, 200, response.body);
    const lines = h.logs.slice(before).join('');
    assert.doesNotMatch(lines, /message received/, 'not queued as a message from ""');
    assert.match(lines, /微信客服 event while weworktop.kf.enabled is false: acknowledged, not handled .*event=kf_msg_or_event/);
  });

  test('another event without a sender is acknowledged and goes no further', async () => {
    const before = h.logs.length;
    const response = await send({ MsgType: 'event', Event: 'some_future_event' });
    assert.equal(response.status, 200, response.body);
    const lines = h.logs.slice(before).join('');
    assert.doesNotMatch(lines, /message received/, 'not queued as a message from ""');
    assert.match(lines, /event without a sender: acknowledged, not handled .*event=some_future_event/);
  });
});

describe('app callback POST: bodies and query strings', () => {
  test('any body (text, bytes that are not UTF-8, XML soup) signed over something else is 400 or 401', async () => {
    const body = fc.oneof(fc.string({ unit: 'binary', maxLength: 500 }), fc.uint8Array({ maxLength: 500 }), xmlSoup);
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('text/xml', 'application/xml', 'text/plain', 'application/octet-stream'), async (b, type) =>
        assertRefused(await postBody(b, signedQuery('x').toString(), type), REFUSED, `body ${JSON.stringify(b).slice(0, 80)}`),
      ),
      { numRuns: RUNS },
    );
  });

  test('an envelope around a valid Encrypt that is broken (truncated, repeated or nested Encrypt, __proto__, DOCTYPE, deep) is 400', async () => {
    const full = buildXml({ ToUserName: CORP_ID, Encrypt: VALID, AgentID: AGENT_ID });
    const broken = fc.oneof(
      fc.integer({ min: 0, max: full.length - 1 }).map((keep) => full.slice(0, keep)),
      fc.constant(`<xml><Encrypt>${VALID}</Encrypt><Encrypt>${VALID}</Encrypt></xml>`),
      fc.constant(`<xml><Encrypt><x>${VALID}</x></Encrypt></xml>`),
      fc.constant(`<xml><__proto__>${VALID}</__proto__><Encrypt>${VALID}</Encrypt></xml>`),
      fc.constant(`<xml><constructor><prototype>1</prototype></constructor><Encrypt>${VALID}</Encrypt></xml>`),
      fc.constant(`<!DOCTYPE xml [<!ENTITY e "${VALID}">]><xml><Encrypt>&e;</Encrypt></xml>`),
      fc
        .integer({ min: 2, max: 20000 })
        .map((depth) => `<xml>${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}<Encrypt>${VALID}</Encrypt></xml>`),
      fc.constant(`<other><Encrypt>${VALID}</Encrypt></other>`),
    );
    await fc.assert(
      fc.asyncProperty(broken, async (body) =>
        assertRefused(await postBody(body, signedQuery(VALID).toString()), [400], `envelope ${body.slice(0, 100)}`),
      ),
      { numRuns: RUNS },
    );
  });

  test('a body over 1 MiB is 413, with or without a Content-Length', async () => {
    await fc.assert(
      fc.asyncProperty(oversizedLengths, fc.boolean(), async (size, chunked) => {
        const bytes = Buffer.alloc(size, 'a');
        const body = chunked ? new Blob([bytes]).stream() : bytes;
        const response = await fetch(`${h.baseUrl}/wework_callback?${signedQuery(VALID)}`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'text/xml' },
          ...(chunked ? { duplex: 'half' } : {}),
        } as RequestInit);
        assertRefused(await answer(response), [413], `${size} bytes${chunked ? ', chunked' : ''}`);
      }),
      { numRuns: 10 },
    );
  });

  test('missing, empty or repeated signature parameters are 400', async () => {
    const body = buildXml({ ToUserName: CORP_ID, Encrypt: VALID, AgentID: AGENT_ID });
    const valid = Object.fromEntries(signedQuery(VALID));
    await fc.assert(
      fc.asyncProperty(brokenQueries(valid), async (query) => assertRefused(await postBody(body, query), [400], `query ${query}`)),
      { numRuns: RUNS },
    );
  });

  test('a query string of garbage (bad percent escapes, stray & = +) is 400 or 401', async () => {
    const garbage = fc.array(
      fc.oneof(
        fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '&', '=', '+', 'msg_signature=', 'timestamp=1', 'nonce=', 'echostr='),
        fc.string({ maxLength: 6 }),
      ),
      { maxLength: 20 },
    );
    const body = buildXml({ ToUserName: CORP_ID, Encrypt: VALID, AgentID: AGENT_ID });
    await fc.assert(
      fc.asyncProperty(garbage, async (parts) =>
        assertRefused(await postBody(body, parts.join('').replace(/#/g, '%23')), REFUSED, `query ${parts.join('')}`),
      ),
      { numRuns: RUNS },
    );
  });
});

describe('app callback GET (URL verification): fuzzed echostr', () => {
  const ECHO = crypto.encrypt('5927782489442352469');

  test('a random echostr is 400 or 401', async () => {
    await fc.assert(
      fc.asyncProperty(randomEncrypt, async (echostr) =>
        assertRefused(await verify(echostr), REFUSED, `echostr ${JSON.stringify(echostr.slice(0, 80))}`),
      ),
      { numRuns: RUNS },
    );
  });

  test('a truncated echostr is 400; bad padding is 400; another receive id is 401', async () => {
    const data = ECHO.replace(/=+$/, '');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: data.length - 1 }), async (keep) =>
        assertRefused(await verify(data.slice(0, keep)), [400], `echostr truncated to ${keep}`),
      ),
      { numRuns: RUNS },
    );
    const body = layout(Buffer.from('5927782489442352469'), CORP_ID);
    await fc.assert(
      fc.asyncProperty(badPaddings(body), async ({ kind, padded }) =>
        assertRefused(await verify(aesWithoutPadding(AES_KEY, padded)), [400], kind),
      ),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(otherReceiveIds(CORP_ID), async (receiveId) =>
        assertRefused(
          await verify(encryptBody(layout(Buffer.from('5927782489442352469'), receiveId))),
          [401],
          `receive id ${JSON.stringify(receiveId)}`,
        ),
      ),
      { numRuns: RUNS },
    );
  });

  test('a flipped echostr bit is 401 unsigned, and 400 or 401 re-signed in the last block', async () => {
    const bits = Buffer.from(ECHO, 'base64').length * 8;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bits - 1 }), async (bit) =>
        assertRefused(await verify(flipBit(ECHO, bit), ECHO), [401], `bit ${bit}`),
      ),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: bits - 128, max: bits - 1 }), async (bit) =>
        assertRefused(await verify(flipBit(ECHO, bit)), REFUSED, `bit ${bit} re-signed`),
      ),
      { numRuns: RUNS },
    );
  });

  test('missing, empty or repeated parameters are 400', async () => {
    const valid = Object.fromEntries(signedQuery(ECHO, { echostr: ECHO }));
    await fc.assert(
      fc.asyncProperty(brokenQueries(valid), async (query) =>
        assertRefused(await answer(await fetch(`${h.baseUrl}/wework_callback?${query}`)), [400], `query ${query}`),
      ),
      { numRuns: RUNS },
    );
  });
});

describe('after the fuzzing', () => {
  test('nothing reached the pipeline, and the server still verifies its URL and answers a message', async () => {
    await sleep(200);
    assert.equal(h.openai.chatRequests().length, 0, 'a corrupt callback reached the LLM');
    assert.equal(h.wecom.sent.length, 0, 'a corrupt callback caused a message/send');
    assert.deepEqual(await h.client.verifyUrl('still-alive'), { status: 200, body: 'still-alive' });
    assert.equal((await h.client.sendText('zhangsan', 'are you alive?')).status, 200);
    await eventually(() => assert.equal(h.wecom.sent.length, 1, 'the valid message was never answered'));
    assert.equal(h.openai.chatRequests().length, 1);
    assert.deepEqual(
      { touser: h.wecom.sent[0]!.touser, text: h.wecom.sent[0]!.body.text },
      { touser: 'zhangsan', text: { content: 'echo: are you alive?' } },
    );
  });
});
