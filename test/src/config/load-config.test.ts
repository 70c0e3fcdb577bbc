import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { channelRegistry } from '../../../channels/registry.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig, normalizeShape } from '../../../src/config/load-config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const credentials = {
  corp_id: 'ww1234567890abcdef',
  corp_secret: 'app-secret-value-123',
  agent_id: 1000002,
  token: 'QDG6eK',
  aes_key: KEY,
};

function writeConfig(content: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'weworktop-config-'));
  const file = path.join(dir, 'config.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}

async function load(content: unknown, env: NodeJS.ProcessEnv = {}) {
  const cwd = writeConfig(content);
  return loadConfig({ argv: [], env, cwd, channels: channelRegistry });
}

async function loadError(content: unknown, env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  try {
    await load(content, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.ok(!error.message.includes('\n'), 'one line');
    return error;
  }
  assert.fail('expected the config to be rejected');
}

describe('config files', () => {
  test('no config file: the embedded default runs the terminal channel', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'weworktop-empty-'));
    const loaded = await loadConfig({ argv: [], env: {}, cwd, channels: channelRegistry });
    assert.equal(loaded.source, 'embedded default');
    assert.equal(loaded.config.channel_type, 'terminal');
    assert.deepEqual(loaded.config.single_chat_prefix, ['']);
    assert.deepEqual(loaded.config.group_chat_prefix, ['@bot']);
    assert.deepEqual(loaded.config.image_create_prefix, ['画', 'draw']);
    assert.equal(loaded.config.expires_in_seconds, 0);
  });

  test('--config PATH and CONFIG_PATH choose the file; a missing explicit file is an error', async () => {
    const dir = writeConfig({ model: 'from-flag' });
    const other = writeConfig({ model: 'from-env' });
    const viaFlag = await loadConfig({
      argv: ['--config', path.join(dir, 'config.json')],
      env: { CONFIG_PATH: path.join(other, 'config.json') },
      cwd: '/',
      channels: channelRegistry,
    });
    assert.equal(viaFlag.config.model, 'from-flag');
    const viaEnv = await loadConfig({
      argv: [],
      env: { CONFIG_PATH: path.join(other, 'config.json') },
      cwd: '/',
      channels: channelRegistry,
    });
    assert.equal(viaEnv.config.model, 'from-env');
    await assert.rejects(
      loadConfig({ argv: ['--config', '/nonexistent/config.json'], env: {}, cwd: '/', channels: channelRegistry }),
      /config error: --config: expected an existing config file, found no file at/,
    );
  });

  test('the flat CoW shape with a channel section', async () => {
    const { config } = await load({
      channel_type: 'weworktop',
      model: 'gpt-4o',
      single_chat_prefix: ['bot'],
      weworktop: { ...credentials, single_chat_prefix: [''], port: 0 },
    });
    assert.equal(config.channel_type, 'weworktop');
    assert.deepEqual(config.single_chat_prefix, [''], 'the channel section overrides the global key');
    assert.equal((config.weworktop as { corp_id: string }).corp_id, credentials.corp_id);
    assert.equal((config.weworktop as { callback_path: string }).callback_path, '/wework_callback');
  });

  test('the "services" shape of the original weworktop README', async () => {
    const { config } = await load({
      services: { channel_type: 'weworktop', weworktop: { ...credentials, single_chat_prefix: ['@ai'], group_chat_prefix: ['@ai'] } },
    });
    assert.equal(config.channel_type, 'weworktop');
    assert.deepEqual(config.single_chat_prefix, ['@ai']);
    assert.deepEqual(config.group_chat_prefix, ['@ai']);
  });

  test('CoW wechatcomapp_* keys are accepted', async () => {
    const { config } = await load({
      channel_type: 'weworktop',
      wechatcom_corp_id: 'wwcorp',
      wechatcomapp_secret: 'sec-ret-1',
      wechatcomapp_agent_id: 1000003,
      wechatcomapp_token: 'tok',
      wechatcomapp_aes_key: KEY,
    });
    const section = config.weworktop as Record<string, unknown>;
    assert.equal(section.corp_id, 'wwcorp');
    assert.equal(section.agent_id, 1000003);
  });

  test('env vars override the file', async () => {
    const { config } = await load(
      { model: 'file-model', single_chat_prefix: ['x'] },
      { MODEL: 'env-model', SINGLE_CHAT_PREFIX: '["bot","@bot"]', GROUP_AT_OFF: 'true', CONVERSATION_MAX_TOKENS: '4000' },
    );
    assert.equal(config.model, 'env-model');
    assert.deepEqual(config.single_chat_prefix, ['bot', '@bot']);
    assert.equal(config.group_at_off, true);
    assert.equal(config.conversation_max_tokens, 4000);
    const channel = await load(
      { channel_type: 'weworktop', weworktop: credentials },
      { WEWORKTOP_PORT: '6001', WEWORKTOP_CORP_ID: 'envcorp' },
    );
    assert.equal(channel.config.port, 6001, 'WEWORKTOP_PORT, the section form of PORT');
    assert.equal((channel.config.weworktop as { corp_id: string }).corp_id, 'envcorp');
    const both = await load({ channel_type: 'weworktop', port: 5002, weworktop: { ...credentials, port: 5003 } }, { PORT: '6002' });
    assert.equal(both.config.port, 6002, 'the environment over the file; weworktop.port in the file is the port too');
    const sectionEnv = await load({ channel_type: 'weworktop', weworktop: credentials }, { PORT: '6002', WEWORKTOP_PORT: '6003' });
    assert.equal(sectionEnv.config.port, 6003, 'the section form wins, as weworktop.port does in the file');
  });

  test("weworktop.proxy is WeCom's proxy, proxy the LLM's: a key the section declares stays in it", async () => {
    const file = await load({
      channel_type: 'weworktop',
      proxy: 'http://llm-proxy:1',
      weworktop: { ...credentials, proxy: 'http://wecom-proxy:2' },
    });
    assert.equal(file.config.proxy, 'http://llm-proxy:1');
    assert.equal((file.config.weworktop as { proxy: string }).proxy, 'http://wecom-proxy:2');
    const env = await load({ channel_type: 'weworktop', weworktop: credentials }, { WEWORKTOP_PROXY: 'http://wecom-proxy:3' });
    assert.equal(env.config.proxy, '');
    assert.equal((env.config.weworktop as { proxy: string }).proxy, 'http://wecom-proxy:3');
  });

  test('an explicit empty single_chat_prefix warns that nothing will trigger', async () => {
    const { warnings } = await load({ single_chat_prefix: [] });
    assert.ok(warnings.some((warning) => warning.includes('single_chat_prefix is []')));
  });

  test('unknown keys warn instead of failing (CoW configs carry many)', async () => {
    const { warnings } = await load({ hot_reload: false });
    assert.equal(warnings[0], '1 config key is not used by weworktop and ignored; no equivalent: hot_reload');
  });

  test('max_single_msg_tokens >= conversation_max_tokens warns only when the user set both', async () => {
    assert.deepEqual(
      (await load({ max_single_msg_tokens: 3000 })).warnings.filter((line) => line.includes('max_single_msg_tokens')),
      [],
    );
    assert.deepEqual(
      (await load({ conversation_max_tokens: 1000 })).warnings.filter((line) => line.includes('max_single_msg_tokens')),
      [],
    );
    const both = await load({ conversation_max_tokens: 1000, max_single_msg_tokens: 1000 });
    assert.ok(
      both.warnings.some((line) => line.startsWith('max_single_msg_tokens is not below conversation_max_tokens')),
      both.warnings.join('|'),
    );
    const viaEnv = await load({ conversation_max_tokens: 1000 }, { MAX_SINGLE_MSG_TOKENS: '1200' });
    assert.ok(
      viaEnv.warnings.some((line) => line.startsWith('max_single_msg_tokens is not below')),
      'an env var counts as set',
    );
  });

  test('config.json.example as it is: the example values are named, not taken for credentials', async () => {
    const example = readFileSync(path.join(ROOT, 'config.json.example'), 'utf8');
    const error = await loadError(example);
    assert.equal(
      error.message,
      'config error: open_ai_api_key: expected your own value, found the example value of config.json.example (so are weworktop.corp_id, weworktop.corp_secret, weworktop.token, weworktop.aes_key)',
    );
    const filled = JSON.parse(example) as Record<string, unknown> & { weworktop: Record<string, unknown> };
    const withKey = await loadError({
      ...filled,
      open_ai_api_key: 'sk-real-key-0001',
      weworktop: { ...filled.weworktop, corp_id: 'ww1', corp_secret: 'real-secret', aes_key: KEY },
    });
    assert.equal(withKey.message, 'config error: weworktop.token: expected your own value, found the example value of config.json.example');
  });
});

describe('config errors: one line naming the key, expected and found', () => {
  test('invalid JSON names the line and column, and what hand-edited JSON usually gets wrong', async () => {
    assert.equal(
      (await loadError('{"model": ')).message,
      'config error: config.json: expected valid JSON, found a syntax error at line 1, column 11: the end of the file where a value (a "string", a number, true, false, null, {...} or [...]) should be (a missing "}" or "]"?)',
    );
    assert.equal(
      (await loadError('{\n  "model": "x",\n}\n')).message,
      'config error: config.json: expected valid JSON, found a syntax error at line 3, column 1: a comma before "}" (JSON allows no trailing comma)',
    );
    assert.equal(
      (await loadError('{\n  // the model\n  "model": "x"\n}')).message,
      'config error: config.json: expected valid JSON, found a syntax error at line 2, column 3: a comment: JSON allows no // or /* */ comments',
    );
    assert.equal(
      (await loadError('{\n  "model": "x"\n  "temperature": 1\n}')).message,
      'config error: config.json: expected valid JSON, found a syntax error at line 3, column 3: "\\"" where "," or "}" (a missing comma?) should be',
    );
    assert.equal(
      (await loadError("{'model': 'x'}")).message,
      'config error: config.json: expected valid JSON, found a syntax error at line 1, column 2: a single quote: JSON strings and keys need double quotes',
    );
    assert.equal(
      (await loadError('{"data_dir": "C:\\data\\new"}')).message.includes('line 1, column 17: a backslash that starts no escape'),
      true,
    );
  });
  test('a byte order mark (Windows editors) is no error', async () => {
    const { config } = await load('\uFEFF{"model": "bom-model"}');
    assert.equal(config.model, 'bom-model');
  });
  test('unknown channel_type', async () => {
    const error = await loadError({ channel_type: 'wechat' });
    assert.equal(error.message, 'config error: channel_type: expected one of "terminal", "weworktop", found string "wechat"');
  });
  test('wrong types', async () => {
    assert.equal(
      (await loadError({ single_chat_prefix: 'bot' })).message,
      'config error: single_chat_prefix: expected a list of strings like ["a", "b"], found string "bot"',
    );
    assert.equal((await loadError({ temperature: 'hot' })).message, 'config error: temperature: expected a number, found string "hot"');
    assert.equal((await loadError({ concurrency: 0 })).message, 'config error: concurrency: expected a whole number >= 1, found number 0');
    assert.equal(
      (await loadError({ group_at_off: 'yes' })).message,
      'config error: group_at_off: expected true or false, found string "yes"',
    );
    assert.equal(
      (await loadError({ open_ai_api_base: 'api.openai.com' })).message,
      'config error: open_ai_api_base: expected an http(s):// URL (or "" for none), found string "api.openai.com"',
    );
  });
  test('missing credentials of the chosen channel', async () => {
    const { corp_secret: _omit, ...rest } = credentials;
    const error = await loadError({ channel_type: 'weworktop', weworktop: rest });
    assert.equal(
      error.message,
      'config error: weworktop.corp_secret: expected a value (required when channel_type is "weworktop"), found nothing',
    );
  });
  test('a malformed secret is described without echoing it', async () => {
    const error = await loadError({ channel_type: 'weworktop', weworktop: { ...credentials, aes_key: 'short-secret-key' } });
    assert.equal(
      error.message,
      'config error: weworktop.aes_key: expected the 43-character EncodingAESKey from the WeCom console, found a value of 16 characters with "-" at position 6, a character WeCom never puts in an EncodingAESKey',
    );
    assert.ok(!error.message.includes('short-secret-key'));
  });
  test('a token with a character WeCom never generates names the character, not just the length', async () => {
    const error = await loadError({ channel_type: 'weworktop', weworktop: { ...credentials, token: 'QDG6eK ' } });
    assert.equal(
      error.message,
      'config error: weworktop.token: expected the Token from the WeCom console (letters and digits, at most 32), found a value of 7 characters with a space at position 7, a character WeCom never puts in a Token',
    );
    const tooLong = await loadError({ channel_type: 'weworktop', weworktop: { ...credentials, aes_key: `${KEY}x` } });
    assert.match(tooLong.message, /found a value of 44 characters$/);
  });
  test('bad agents entries name the index and key', async () => {
    const error = await loadError({
      channel_type: 'weworktop',
      weworktop: { ...credentials, agents: [{ agent_id: 'abc', corp_secret: 's', token: 't', aes_key: KEY }] },
    });
    assert.match(error.message, /^config error: weworktop\.agents: expected agents\[0\]\.agent_id to be the numeric AgentId/);
  });
});

describe('normalizeShape', () => {
  test('moves core keys out of the channel section and keeps channel keys in it', () => {
    const shaped = normalizeShape({ services: { channel_type: 'weworktop', weworktop: { corp_id: 'c', model: 'm' } } }, 'weworktop');
    assert.deepEqual(shaped, { channel_type: 'weworktop', model: 'm', weworktop: { corp_id: 'c' } });
  });
});
