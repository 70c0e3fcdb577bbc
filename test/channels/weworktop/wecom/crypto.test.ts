import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { WeComCrypto } from '../../../../channels/weworktop/wecom/crypto.js';
import { cryptoErrorCode } from '../../../support/corrupt-callbacks.js';

// Official and public vectors from shared/wecom-protocol.md §7.
const KEY1 = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const KEY2 = 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR';
const V1_ECHOSTR = 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==';
const V2_ENCRYPT =
  'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==';
const V2_PLAIN =
  '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>';
const V5_ENCRYPT =
  'RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=';

const v1 = new WeComCrypto({ token: 'QDG6eK', encodingAesKey: KEY1, receiveId: 'wx5823bf96d3bd56c7' });
const wechatpy = new WeComCrypto({ token: '123456', encodingAesKey: KEY2, receiveId: 'wx49f0ab532d5d035a' });
const codeOf = cryptoErrorCode;

describe('WeComCrypto against the official vectors', () => {
  test('V1: URL verification answers the bare plaintext', () => {
    assert.equal(
      v1.verifyUrl({
        msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
        timestamp: '1409659589',
        nonce: '263014780',
        echostr: V1_ECHOSTR,
      }),
      '1616140317555161061',
    );
  });

  test('V1 with "+" turned into spaces still verifies (negative test 4)', () => {
    assert.equal(
      v1.verifyUrl({
        msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
        timestamp: '1409659589',
        nonce: '263014780',
        echostr: V1_ECHOSTR.replace(/\+/g, ' '),
      }),
      '1616140317555161061',
    );
  });

  test('V1 with one signature character changed is bad_signature (negative test 2)', () => {
    assert.equal(
      codeOf(() =>
        v1.verifyUrl({
          msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd4',
          timestamp: '1409659589',
          nonce: '263014780',
          echostr: V1_ECHOSTR,
        }),
      ),
      'bad_signature',
    );
  });

  test('V2: signature and decryption with pad 30, which Node auto padding cannot do (negative test 3)', () => {
    assert.equal(v1.signature('1409659813', '1372623149', V2_ENCRYPT), '477715d11cdb4164915debcba66cb864d751f3e6');
    assert.equal(
      v1.openCallback(
        { msg_signature: '477715d11cdb4164915debcba66cb864d751f3e6', timestamp: '1409659813', nonce: '1372623149' },
        V2_ENCRYPT,
      ),
      V2_PLAIN,
    );
    const key = Buffer.from(`${KEY1}=`, 'base64');
    assert.throws(() => {
      const auto = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
      Buffer.concat([auto.update(Buffer.from(V2_ENCRYPT, 'base64')), auto.final()]);
    });
  });

  test('V2 with another corp id is receive_id_mismatch (negative test 1)', () => {
    const other = new WeComCrypto({ token: 'QDG6eK', encodingAesKey: KEY1, receiveId: 'wx5823bf96d3bd56c8' });
    assert.equal(
      codeOf(() => other.decrypt(V2_ENCRYPT)),
      'receive_id_mismatch',
    );
  });

  test('V4: wechatpy URL check, and the one-digit-off nonce fails', () => {
    const echostr = '4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==';
    assert.equal(
      wechatpy.verifyUrl({
        msg_signature: 'dd6b9c95b495b3f7e2901bfbc76c664930ffdb96',
        timestamp: '1411443780',
        nonce: '437374425',
        echostr,
      }),
      '5927782489442352469',
    );
    assert.equal(
      codeOf(() =>
        wechatpy.verifyUrl({
          msg_signature: 'dd6b9c95b495b3f7e2901bfbc76c664930ffdb96',
          timestamp: '1411443780',
          nonce: '437374424',
          echostr,
        }),
      ),
      'bad_signature',
    );
  });

  test('V5: pad 1 edge case', () => {
    assert.equal(wechatpy.signature('1411525903', '461056294', V5_ENCRYPT), '74d92dfeb87ba7c714f89d98870ae5eb62dff26d');
    assert.match(
      wechatpy.decrypt(V5_ENCRYPT),
      /<FromUserName><!\[CDATA\[messense\]\]><\/FromUserName>[\s\S]*<Content><!\[CDATA\[test\]\]><\/Content>/,
    );
  });

  test('V6: deterministic encryption reproduces wechatpy byte for byte', () => {
    const plain =
      '<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>';
    const encrypt = wechatpy.encrypt(plain, '1234567890123456');
    assert.equal(
      encrypt,
      '9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3',
    );
    assert.equal(wechatpy.signature('1411525903', '461056294', encrypt), '407518b7649e86ef23978113f92d27afa9296533');
  });

  test('V7: the …1aQ spelling of the key is the same key; non-canonical Base64 is accepted (negative test 5)', () => {
    const rust = new WeComCrypto({ token: 't', encodingAesKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aQ', receiveId: 'rust' });
    assert.equal(rust.decrypt('9s4gMv99m88kKTh/H8IdkNiFGeG9pd7vNWl50fGRWXY='), 'test');
    assert.doesNotThrow(() => new WeComCrypto({ token: 't', encodingAesKey: KEY1, receiveId: '' }));
  });

  test('V8: the AI bot (receive id "", JSON) vectors', () => {
    const bot = new WeComCrypto({ token: 'QDG6eK', encodingAesKey: KEY1, receiveId: '' });
    assert.equal(
      bot.encrypt('1616140317555161061', '1234567890123456'),
      'y514aRT8yYkYNee3kPvkrP0PKxILLkCwDviFQRkbFSPy/rdjbmr1P4E6i++ixo3ZiZpVHwxw3bnczc+p0Kj/EQ==',
    );
    assert.equal(
      bot.verifyUrl({
        msg_signature: '1d921cacbcf9c36da15d6c7bdc31bc24ef6f9d21',
        timestamp: '1409659589',
        nonce: '263014780',
        echostr: 'y514aRT8yYkYNee3kPvkrP0PKxILLkCwDviFQRkbFSPy/rdjbmr1P4E6i++ixo3ZiZpVHwxw3bnczc+p0Kj/EQ==',
      }),
      '1616140317555161061',
    );
    const message =
      'y514aRT8yYkYNee3kPvkrFfNP6QJhOJjJyKnjo25xNUCWRi/GOyybm22C5asmYjRRAxEBRDczW+TUMA1iRKACVskZSTdS3fNAzk3xOEACb7X3NRyRu3KdS1rcFR6RddHL/X3rQ6RAMja45Pfzuh2nj1PzrEYW6PlfcyVlvp4c5EssOwWMTYM1/oMZq5lPB+7r0Ff+/kfspd6LkaFFYdXQKHD4bGCDsyq/58xUPhUcogDd9ljxSlHkIeccVH1q3a6SrUL8wLlVI4cy7H8c8yupQQNjDY3AYMLfrjXDrW4lHL4FHgl7UWVfcG2xbXSyCWgHpBt2tvn4J7hh6mqUfoJ2Q==';
    const plain = bot.openCallback(
      { msg_signature: '1e97f6f0187f029a1b1739e601750c90a5a76db4', timestamp: '1409659813', nonce: '1372623149' },
      message,
    );
    assert.equal(JSON.parse(plain).text.content, '@RobotA hello robot');
    const stream = '{"msgtype":"stream","stream":{"id":"STREAMID","finish":false,"content":"hello"}}';
    const reply = bot.encrypt(stream, 'abcdefghijklmnop');
    assert.equal(
      reply,
      '7ho9XWI/HTOA1L6oduAxX/Xb7lyj/GJj9zqBP1hgxzyGMowehY368wCwG8Hap+Az5Q/j2skig6N331sI5UeBApna+aS/yWIqC4zyOBQqVL6pRq8Y5kxoBlGBy3gp9O+tRCHoibDrMfEQ/BfAAST0A/z2vGHaO70hRL85XsBvjsw=',
    );
    assert.equal(bot.signature('1409659900', '1372623149', reply), 'a42c78b79cb186e18d5aa49ffa81d7c98605d22e');
  });
});

describe('WeComCrypto rejects bad input with a code', () => {
  test('keys that are not 43 letters or digits', () => {
    assert.equal(
      codeOf(() => new WeComCrypto({ token: 't', encodingAesKey: 'short', receiveId: '' })),
      'bad_key',
    );
    assert.equal(
      codeOf(() => new WeComCrypto({ token: 't', encodingAesKey: `${KEY1.slice(0, 42)}+`, receiveId: '' })),
      'bad_key',
    );
  });

  test('not Base64, not whole blocks, wrong key (bad padding), truncated', () => {
    assert.equal(
      codeOf(() => v1.decrypt('not base64 !!')),
      'bad_base64',
    );
    assert.equal(
      codeOf(() => v1.decrypt(Buffer.alloc(20).toString('base64'))),
      'bad_ciphertext',
    );
    assert.equal(
      codeOf(() => v1.decrypt('')),
      'bad_base64',
    );
    // Node's Base64 decoder would skip these characters and decrypt the rest.
    const valid = v1.encrypt('hello');
    for (const odd of ['*', '\n', ' ', '-'])
      assert.equal(
        codeOf(() => v1.decrypt(valid.slice(0, 12) + odd + valid.slice(12))),
        'bad_base64',
        JSON.stringify(odd),
      );
    assert.equal(
      codeOf(() => wechatpy.decrypt(V2_ENCRYPT)),
      'bad_padding',
    );
    // A valid pad around a payload shorter than its header.
    assert.equal(
      codeOf(() => v1.decrypt(v1.encryptBuffer(Buffer.from('short')).toString('base64'))),
      'bad_length',
    );
    // msg_len larger than the payload.
    const lying = Buffer.concat([Buffer.alloc(16), Buffer.from([0, 0, 1, 0]), Buffer.from('hi')]);
    assert.equal(
      codeOf(() => v1.decrypt(v1.encryptBuffer(lying).toString('base64'))),
      'bad_length',
    );
  });

  test('round trip of arbitrary UTF-8 with every pad length', () => {
    for (let length = 0; length < 70; length++) {
      const text = '中'.repeat(length % 7) + 'x'.repeat(length);
      assert.equal(v1.decrypt(v1.encrypt(text)), text);
    }
  });

  test('one long-lived decipher: each message of a run decrypts as a fresh AES-CBC decipher does, after refused ones too', () => {
    const crypto = new WeComCrypto({ token: 't', encodingAesKey: KEY1, receiveId: '' });
    const key = Buffer.from(`${KEY1}=`, 'base64');
    const fresh = (cipher: Buffer) => {
      const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
      const padded = Buffer.concat([decipher.update(cipher), decipher.final()]);
      return padded.subarray(0, padded.length - padded[padded.length - 1]!);
    };
    for (let i = 0; i < 300; i++) {
      if (i % 7 === 3) {
        // Blocks whose last byte is 0, not a pad: refused, and the chain moves on past them.
        const unpadded = createCipheriv('aes-256-cbc', key, key.subarray(0, 16))
          .setAutoPadding(false)
          .update(Buffer.concat([randomBytes(16 * (i % 5) + 15), Buffer.alloc(1)]));
        assert.equal(
          codeOf(() => crypto.decryptBuffer(unpadded)),
          'bad_padding',
        );
        continue;
      }
      const cipher = crypto.encryptBuffer(randomBytes(i % 97));
      assert.deepEqual(crypto.decryptBuffer(cipher), fresh(cipher), `message ${i}`);
    }
    assert.equal(crypto.decrypt(crypto.encrypt('还在')), '还在');
  });
});
