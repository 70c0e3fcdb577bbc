import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAiBotCallback, toAiBotMessage } from '../../../channels/weworktop/aibot/aibot-message.js';
import { WeComCrypto, WeComCryptoError, type WeComCryptoErrorCode } from '../../../channels/weworktop/wecom/crypto.js';
import {
  buildXml,
  parseAnyFlatXml,
  parseEnvelope,
  parseFlatXml,
  parseMessageXml,
  readCanonicalXml,
  WeComXmlError,
} from '../../../channels/weworktop/wecom/xml.js';
import {
  aesWithoutPadding,
  badPaddings,
  cryptoErrorCode,
  layout,
  notUtf8,
  otherReceiveIds,
  randomEncrypt,
  withPkcs7,
  wrongLengths,
} from '../../support/corrupt-callbacks.js';

const KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const CORP_ID = 'wx5823bf96d3bd56c7';
const app = new WeComCrypto({ token: 'QDG6eK', encodingAesKey: KEY, receiveId: CORP_ID });
const RUNS = 300;

/** Runs `fn`; an exception must be of `type` (with one of `codes`, for crypto errors). */
function onlyThrows(
  fn: () => unknown,
  type: typeof WeComCryptoError | typeof WeComXmlError,
  codes?: readonly WeComCryptoErrorCode[],
): void {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof type, `threw ${(error as Error)?.name}: ${(error as Error)?.message}`);
    if (codes)
      assert.ok(
        codes.includes((error as WeComCryptoError).code),
        `code ${(error as WeComCryptoError).code}, expected ${codes.join(' or ')}`,
      );
  }
}

const codeOf = cryptoErrorCode;

describe('WeComCrypto properties', () => {
  test('encrypt then decrypt gives back any Unicode text, for any receive id and random prefix', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 500 }), fc.string({ unit: 'grapheme', maxLength: 200 }));
    fc.assert(
      fc.property(
        text,
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (plain, receiveId, random) => {
          const crypto = new WeComCrypto({ token: 't', encodingAesKey: KEY, receiveId });
          const encrypt = crypto.encrypt(plain, Buffer.from(random));
          assert.equal(Buffer.from(encrypt, 'base64').length % 32, 0);
          assert.equal(crypto.decrypt(encrypt), plain);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('encryptBuffer then decryptBuffer gives back any bytes, from Base64 or a Buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const cipher = app.encryptBuffer(Buffer.from(bytes));
        assert.ok(cipher.length % 32 === 0 && cipher.length > bytes.length);
        assert.deepEqual(app.decryptBuffer(cipher), Buffer.from(bytes));
        assert.deepEqual(app.decryptBuffer(cipher.toString('base64')), Buffer.from(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  test('a signed callback opens for any timestamp and nonce; the signature is case-insensitive, any other string fails', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 20 }),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.string({ maxLength: 40 }),
        (timestamp, nonce, plain, forged) => {
          const encrypt = app.encrypt(plain);
          const signature = app.signature(timestamp, nonce, encrypt);
          assert.equal(app.openCallback({ msg_signature: signature.toUpperCase(), timestamp, nonce }, encrypt), plain);
          fc.pre(forged.toLowerCase() !== signature);
          assert.equal(
            codeOf(() => app.openCallback({ msg_signature: forged, timestamp, nonce }, encrypt)),
            'bad_signature',
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('decrypting any string (text, Base64, blocks of noise) returns text or throws a WeComCryptoError, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(randomEncrypt, fc.string({ unit: 'binary' })), (encrypt) => {
        onlyThrows(() => assert.equal(typeof app.decrypt(encrypt), 'string'), WeComCryptoError);
        onlyThrows(
          () => app.verifyUrl({ msg_signature: app.signature('1', '2', encrypt), timestamp: '1', nonce: '2', echostr: encrypt }),
          WeComCryptoError,
        );
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => onlyThrows(() => app.decryptBuffer(Buffer.from(bytes)), WeComCryptoError)),
      { numRuns: 1000 },
    );
  });

  test('any string as EncodingAESKey either makes a working crypto or is bad_key', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.stringMatching(/^[A-Za-z0-9]{43}$/)), (key) => {
        try {
          const crypto = new WeComCrypto({ token: 't', encodingAesKey: key, receiveId: '' });
          assert.equal(crypto.decrypt(crypto.encrypt('round trip')), 'round trip');
        } catch (error) {
          assert.ok(error instanceof WeComCryptoError && error.code === 'bad_key', String(error));
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('each corruption is refused with its own code', () => {
    const message = Buffer.from('<xml><MsgType>text</MsgType></xml>');
    fc.assert(
      fc.property(badPaddings(layout(message, CORP_ID)), ({ padded }) =>
        assert.equal(
          codeOf(() => app.decrypt(aesWithoutPadding(KEY, padded))),
          'bad_padding',
        ),
      ),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(wrongLengths(message, CORP_ID), ({ declared, expected }) =>
        assert.equal(
          codeOf(() => app.decrypt(aesWithoutPadding(KEY, withPkcs7(layout(message, CORP_ID, declared))))),
          expected === 400 ? 'bad_length' : 'receive_id_mismatch',
        ),
      ),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(otherReceiveIds(CORP_ID), (receiveId) =>
        assert.equal(
          codeOf(() => app.decrypt(aesWithoutPadding(KEY, withPkcs7(layout(message, receiveId))))),
          'receive_id_mismatch',
        ),
      ),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(notUtf8(message), (bytes) =>
        assert.equal(
          codeOf(() => app.decrypt(aesWithoutPadding(KEY, withPkcs7(layout(bytes, CORP_ID))))),
          'bad_utf8',
        ),
      ),
      { numRuns: RUNS },
    );
  });
});

/** Pieces of XML and of things that break XML parsers (prototype names, entities, DOCTYPE, CDATA, PIs). */
const xmlSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '<xml>',
        '</xml>',
        '<MsgType>',
        '</MsgType>',
        '<Encrypt>',
        '</Encrypt>',
        '<a>',
        '</a>',
        '<a/>',
        '<a b="1">',
        '<__proto__>',
        '</__proto__>',
        '<constructor>',
        '</constructor>',
        '<hasOwnProperty>',
        '</hasOwnProperty>',
        '<![CDATA[',
        ']]>',
        '<!--',
        '-->',
        '<?xml version="1.0"?>',
        '<?pi?>',
        '<!DOCTYPE x>',
        '<!ENTITY',
        '&amp;',
        '&#0;',
        '&lt;',
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
        'text',
      ),
      fc.string({ unit: 'binary', maxLength: 4 }),
    ),
    { maxLength: 80 },
  )
  .map((pieces) => pieces.join(''));
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  xmlSoup,
  xmlSoup.map((inner) => `<xml>${inner}</xml>`),
);

/** Field names WeCom could use: XML names that are not JavaScript's reserved object keys. */
const fieldName = fc
  .stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/)
  .filter((name) => !['__proto__', 'constructor', 'prototype'].includes(name) && !/^xml/i.test(name));

describe('WeCom XML properties', () => {
  test('parsing any string returns fields of strings or throws a WeComXmlError, nothing else', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        for (const parse of [parseFlatXml, parseEnvelope, parseMessageXml]) {
          onlyThrows(() => {
            const result = parse(text);
            for (const value of Object.values(result)) assert.ok(value === undefined || typeof value === 'string');
          }, WeComXmlError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('buildXml then parseFlatXml gives back any flat fields with any text (including "]]>", "<", "&")', () => {
    const text = fc.string({
      unit: fc.constantFrom('a', 'Z', '0', ' ', '\n', '\t', '<', '>', '&', ']', ']]>', '"', "'", '中', '😀', '&amp;', '<![CDATA['),
      maxLength: 40,
    });
    fc.assert(
      fc.property(fc.dictionary(fieldName, text, { maxKeys: 30, noNullPrototype: true }), (fields) => {
        assert.deepEqual(parseFlatXml(buildXml(fields)), fields);
      }),
      { numRuns: RUNS },
    );
  });

  test('the canonical-shape reader reads every WeCom-shaped message, and whatever it reads, fast-xml-parser reads the same', () => {
    // Pieces that make near-WeCom XML: canonical fields, and every way to be slightly different.
    const value = fc.string({
      unit: fc.constantFrom('a', 'Z', '0', ' ', '\n', '\r', '\t', '>', ']', ']]', '"', "'", '中', '😀', '\u0000', '\u00a0'),
      maxLength: 20,
    });
    const name = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('ToUserName', 'MsgId', 'Location_X', 'AgentID', 'A') },
      { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z_][\w.:-]{0,8}$/) },
      { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'xml', '1a', 'a b') },
    );
    const field = fc.oneof(
      { weight: 5, arbitrary: fc.tuple(name, value).map(([n, v]) => `<${n}><![CDATA[${v}]]></${n}>`) },
      { weight: 5, arbitrary: fc.tuple(name, value).map(([n, v]) => `<${n}>${v.replace(/[<&]/g, '')}</${n}>`) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(name, value, fc.constantFrom('&amp;', '&lt;', '&#60;', '<!-- c -->', '<![CDATA[x]]>', '<B>1</B>', ' ', '<', ']]>', '&'))
          .map(([n, v, odd]) => `<${n}>${v}${odd}</${n}>`),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom('<A/>', '<A x="1">v</A>', '<?pi x?>', '<!-- comment -->', 'text', '<A>1</B>', '<A>', ' \n\t'),
      },
    );
    const open = fc.oneof(
      { weight: 8, arbitrary: fc.constant('<xml>') },
      { weight: 1, arbitrary: fc.constantFrom(' <xml>', '<?xml version="1.0"?><xml>', '<XML>', '') },
    );
    const close = fc.oneof(
      { weight: 8, arbitrary: fc.constant('</xml>') },
      { weight: 1, arbitrary: fc.constantFrom('</xml>\n', '', '</xml>x', '</xml><xml></xml>') },
    );
    const document = fc.tuple(open, fc.array(field, { maxLength: 8 }), close);
    let read = 0;
    fc.assert(
      fc.property(document, ([open, fields, close]) => {
        const text = open + fields.join('') + close;
        const fast = readCanonicalXml(text);
        if (fast === undefined) return;
        read += 1;
        assert.deepEqual(fast, parseAnyFlatXml(text), JSON.stringify(text));
      }),
      { numRuns: 5000 },
    );
    assert.ok(read > 250, `only ${read} of 5000 documents took the fast path: the comparison tested little`);
    // And it is the path real messages take: anything buildXml writes without "]]>" in a value.
    const plain = fc
      .string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '\n', '<', '>', '&', ']', '"', '中', '😀'), maxLength: 40 })
      .filter((v) => !v.includes(']]>'));
    const wecomName = fc.stringMatching(/^[A-Z][A-Za-z0-9_]{0,12}$/);
    fc.assert(
      fc.property(fc.dictionary(wecomName, fc.oneof(plain, fc.nat()), { minKeys: 1, maxKeys: 30, noNullPrototype: true }), (fields) => {
        assert.deepEqual(readCanonicalXml(buildXml(fields)), Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)])));
      }),
      { numRuns: RUNS },
    );
  });

  test('a field nested at any depth, a message over 64 KiB or over 64 fields is a WeComXmlError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 100_000 }), fieldName, (depth, name) => {
        assert.throws(
          () => parseMessageXml(`<xml><MsgType>text</MsgType>${`<${name}>`.repeat(depth)}x${`</${name}>`.repeat(depth)}</xml>`),
          WeComXmlError,
        );
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 64 * 1024 - 40, max: 900 * 1024 }), (size) =>
        assert.throws(() => parseMessageXml(buildXml({ MsgType: 'text', Content: 'x'.repeat(size) })), WeComXmlError),
      ),
      { numRuns: 20 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 65, max: 2000 }), (count) =>
        assert.throws(
          () =>
            parseMessageXml(buildXml({ MsgType: 'text', ...Object.fromEntries(Array.from({ length: count }, (_, i) => [`F${i}`, 'v'])) })),
          WeComXmlError,
        ),
      ),
      { numRuns: 20 },
    );
  });
});

describe('AI bot callback shape', () => {
  // Mostly the right type, so that a fair share is accepted and normalized.
  const maybe = <T>(right: fc.Arbitrary<T>) =>
    fc.oneof({ arbitrary: right, weight: 6 }, { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 });
  const callbackLike = fc.record(
    {
      msgid: maybe(fc.string()),
      msgtype: maybe(fc.constantFrom('text', 'mixed', 'voice', 'image', 'file', 'stream', 'event', 'location')),
      chattype: maybe(fc.constantFrom('single', 'group')),
      chatid: maybe(fc.string()),
      from: maybe(fc.record({ userid: maybe(fc.string()) })),
      text: maybe(fc.record({ content: maybe(fc.string()) })),
      voice: maybe(fc.record({ content: maybe(fc.string()) })),
      image: maybe(fc.record({ url: maybe(fc.string()) })),
      file: maybe(fc.record({ url: maybe(fc.string()) })),
      mixed: maybe(
        fc.record({
          msg_item: maybe(
            fc.array(
              maybe(
                fc.record({ msgtype: maybe(fc.constantFrom('text', 'image')), text: maybe(fc.record({ content: maybe(fc.string()) })) }),
              ),
              { maxLength: 3 },
            ),
          ),
        }),
      ),
    },
    { requiredKeys: [] },
  );

  test('whatever isAiBotCallback accepts is normalized without throwing, with string text and sender', () => {
    let accepted = 0;
    fc.assert(
      fc.property(callbackLike, (value) => {
        const json = JSON.parse(JSON.stringify(value)) as unknown;
        if (!isAiBotCallback(json)) return;
        accepted++;
        const message = toAiBotMessage(json, {}, () => async () => Buffer.alloc(0));
        if (message) {
          assert.equal(typeof message.text, 'string');
          assert.equal(typeof message.senderId, 'string');
        }
      }),
      { numRuns: 3000 },
    );
    assert.ok(accepted > 100, `only ${accepted} generated callbacks were accepted: the property tested little`);
  });
});
