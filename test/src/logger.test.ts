import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { learnSecret } from '../../src/learned-secrets.js';
import { collectSecrets, createLogger, createRedactor } from '../../src/logger.js';

test('collects secrets by key name anywhere in the config, including lists', () => {
  const secrets = collectSecrets({
    open_ai_api_key: 'sk-abcdef',
    weworktop: { corp_secret: 'corp-secret-1', aes_key: 'aeskey-1234', token: 'tok-1234', agents: [{ corp_secret: 'second-secret' }] },
    model: 'gpt',
  });
  assert.deepEqual([...secrets].sort(), ['aeskey-1234', 'corp-secret-1', 'second-secret', 'sk-abcdef', 'tok-1234']);
});

test('redacts secret values and credential query parameters in every line', () => {
  const lines: string[] = [];
  const logger = createLogger({ secrets: ['corp-secret-1'], sink: { write: (line) => lines.push(line) } });
  logger.info({ url: '/cgi-bin/gettoken?corpid=ww1&corpsecret=corp-secret-1' }, 'calling with corp-secret-1');
  logger.warn({ url: '/cgi-bin/message/send?access_token=TOKEN123' }, 'failed');
  const text = lines.join('');
  assert.doesNotMatch(text, /corp-secret-1|TOKEN123/);
  assert.match(text, /corpsecret=\*\*\*/);
  assert.match(text, /access_token=\*\*\*/);
  assert.equal(createRedactor(['abcd', 'abcdef'])('xabcdefx abcd'), 'x***x ***', 'longest first');
});

describe('one line per error', () => {
  const stack =
    'WeComApiError: WeCom message/send failed: errcode 81013: user invalid\n    at WeComApiClient.call (wecom-api-client.ts:120:13)\n    at async ReplySender.sendText (reply-sender.ts:62:7)';
  const cases: Array<{ what: string; err: unknown; level: string; expected: RegExp }> = [
    {
      what: 'a stack string, at info',
      err: stack,
      level: 'info',
      expected: /err=WeComApiError: WeCom message\/send failed: errcode 81013: user invalid\n$/,
    },
    { what: 'an Error object, at info', err: new TypeError('boom'), level: 'info', expected: /err=TypeError: boom\n$/ },
    {
      what: 'a message over two lines, at info',
      err: 'Error: first\nsecond\n    at x (y.ts:1:1)',
      level: 'info',
      expected: /err=Error: first second\n$/,
    },
    { what: 'a plain message', err: 'timeout of 15000ms exceeded', level: 'info', expected: /err=timeout of 15000ms exceeded\n$/ },
  ];
  for (const { what, err, level, expected } of cases) {
    test(`an err field is one line: ${what}`, () => {
      const lines: string[] = [];
      createLogger({ level, sink: { write: (line) => lines.push(line) } }).error({ err }, 'message given up');
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.split('\n').length, 2, lines[0]);
      assert.match(lines[0]!, expected);
    });
  }

  test('at debug level the stack is kept', () => {
    const lines: string[] = [];
    createLogger({ level: 'debug', sink: { write: (line) => lines.push(line) } }).error({ err: stack }, 'message given up');
    assert.match(lines[0]!, /at WeComApiClient\.call/);
  });

  test('line breaks in other fields and in the message are written as \\n', () => {
    const lines: string[] = [];
    createLogger({ sink: { write: (line) => lines.push(line) } }).warn({ body: '<html>\n<body>502</body>' }, 'not JSON\nat all');
    assert.equal(lines[0]!.split('\n').length, 2, lines[0]);
    assert.match(lines[0]!, /not JSON\\nat all body=<html>\\n<body>502<\/body>/);
  });
});

describe('secrets learned at run time', () => {
  test('a learned access token is redacted anywhere in a line, also inside echoed text; the oldest of a group are forgotten', () => {
    const lines: string[] = [];
    const logger = createLogger({ sink: { write: (line) => lines.push(line) } });
    learnSecret('test-token:1', 'tok-AAAA-1111');
    logger.warn({ errmsg: 'invalid credential, token tok-AAAA-1111 expired' }, 'echo');
    assert.doesNotMatch(lines.join(''), /tok-AAAA-1111/);
    for (let i = 0; i < 4; i++) learnSecret('test-token:1', `tok-BBBB-${i}000`);
    logger.warn('tok-AAAA-1111 tok-BBBB-3000');
    assert.match(lines.at(-1)!, /tok-AAAA-1111 \*\*\*/, 'kept: the latest four');
  });

  test('response_code in a URL is redacted', () => {
    assert.equal(
      createRedactor([])('POST https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=abc123 failed'),
      'POST https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=*** failed',
    );
  });
});
