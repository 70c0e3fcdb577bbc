import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectSecrets, createLogger, createRedactor } from '../../src/logger.js';

test('collects secrets by key name anywhere in the config, including lists', () => {
  const secrets = collectSecrets({ open_ai_api_key: 'sk-abcdef', weworktop: { corp_secret: 'corp-secret-1', aes_key: 'aeskey-1234', token: 'tok-1234', agents: [{ corp_secret: 'second-secret' }] }, model: 'gpt' });
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
