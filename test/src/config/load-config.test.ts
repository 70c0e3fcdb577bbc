import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { channelRegistry } from '../../../channels/registry.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig, normalizeShape } from '../../../src/config/load-config.js';

const KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const credentials = { corp_id: 'ww1234567890abcdef', corp_secret: 'app-secret-value-123', agent_id: 1000002, token: 'QDG6eK', aes_key: KEY };

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
    const viaFlag = await loadConfig({ argv: ['--config', path.join(dir, 'config.json')], env: { CONFIG_PATH: path.join(other, 'config.json') }, cwd: '/', channels: channelRegistry });
    assert.equal(viaFlag.config.model, 'from-flag');
    const viaEnv = await loadConfig({ argv: [], env: { CONFIG_PATH: path.join(other, 'config.json') }, cwd: '/', channels: channelRegistry });
    assert.equal(viaEnv.config.model, 'from-env');
    await assert.rejects(loadConfig({ argv: ['--config', '/nonexistent/config.json'], env: {}, cwd: '/', channels: channelRegistry }), /config error: --config: expected an existing config file, found no file at/);
  });

  test('the flat CoW shape with a channel section', async () => {
    const { config } = await load({ channel_type: 'weworktop', model: 'gpt-4o', single_chat_prefix: ['bot'], weworktop: { ...credentials, single_chat_prefix: [''], port: 0 } });
    assert.equal(config.channel_type, 'weworktop');
    assert.deepEqual(config.single_chat_prefix, [''], 'the channel section overrides the global key');
    assert.equal((config.weworktop as { corp_id: string }).corp_id, credentials.corp_id);
    assert.equal((config.weworktop as { callback_path: string }).callback_path, '/wework_callback');
  });

  test('the "services" shape of the original weworktop README', async () => {
    const { config } = await load({ services: { channel_type: 'weworktop', weworktop: { ...credentials, single_chat_prefix: ['@ai'], group_chat_prefix: ['@ai'] } } });
    assert.equal(config.channel_type, 'weworktop');
    assert.deepEqual(config.single_chat_prefix, ['@ai']);
    assert.deepEqual(config.group_chat_prefix, ['@ai']);
  });

  test('CoW wechatcomapp_* keys are accepted', async () => {
    const { config } = await load({ channel_type: 'weworktop', wechatcom_corp_id: 'wwcorp', wechatcomapp_secret: 'sec-ret-1', wechatcomapp_agent_id: 1000003, wechatcomapp_token: 'tok', wechatcomapp_aes_key: KEY });
    const section = config.weworktop as Record<string, unknown>;
    assert.equal(section.corp_id, 'wwcorp');
    assert.equal(section.agent_id, 1000003);
  });

  test('env vars override the file', async () => {
    const { config } = await load({ model: 'file-model', single_chat_prefix: ['x'] }, { MODEL: 'env-model', SINGLE_CHAT_PREFIX: '["bot","@bot"]', GROUP_AT_OFF: 'true', CONVERSATION_MAX_TOKENS: '4000' });
    assert.equal(config.model, 'env-model');
    assert.deepEqual(config.single_chat_prefix, ['bot', '@bot']);
    assert.equal(config.group_at_off, true);
    assert.equal(config.conversation_max_tokens, 4000);
    const channel = await load({ channel_type: 'weworktop', weworktop: credentials }, { WEWORKTOP_PORT: '6001', WEWORKTOP_CORP_ID: 'envcorp' });
    assert.equal((channel.config.weworktop as { port: number }).port, 6001);
    assert.equal((channel.config.weworktop as { corp_id: string }).corp_id, 'envcorp');
  });

  test('an explicit empty single_chat_prefix warns that nothing will trigger', async () => {
    const { warnings } = await load({ single_chat_prefix: [] });
    assert.ok(warnings.some((warning) => warning.includes('single_chat_prefix is []')));
  });

  test('unknown keys warn instead of failing (CoW configs carry many)', async () => {
    const { warnings } = await load({ hot_reload: false });
    assert.ok(warnings.some((warning) => warning.includes('hot_reload')), warnings.join('|'));
  });
});

describe('config errors: one line naming the key, expected and found', () => {
  test('invalid JSON', async () => {
    const error = await loadError('{"model": ');
    assert.match(error.message, /^config error: config\.json: expected valid JSON, found a syntax error/);
  });
  test('unknown channel_type', async () => {
    const error = await loadError({ channel_type: 'wechat' });
    assert.equal(error.message, 'config error: channel_type: expected one of "terminal", "weworktop", found string "wechat"');
  });
  test('wrong types', async () => {
    assert.equal((await loadError({ single_chat_prefix: 'bot' })).message, 'config error: single_chat_prefix: expected a list of strings like ["a", "b"], found string "bot"');
    assert.equal((await loadError({ temperature: 'hot' })).message, 'config error: temperature: expected a number, found string "hot"');
    assert.equal((await loadError({ concurrency: 0 })).message, 'config error: concurrency: expected a whole number >= 1, found number 0');
    assert.equal((await loadError({ group_at_off: 'yes' })).message, 'config error: group_at_off: expected true or false, found string "yes"');
    assert.equal((await loadError({ open_ai_api_base: 'api.openai.com' })).message, 'config error: open_ai_api_base: expected an http(s):// URL (or "" for none), found string "api.openai.com"');
  });
  test('missing credentials of the chosen channel', async () => {
    const { corp_secret: _omit, ...rest } = credentials;
    const error = await loadError({ channel_type: 'weworktop', weworktop: rest });
    assert.equal(error.message, 'config error: weworktop.corp_secret: expected a value (required when channel_type is "weworktop"), found nothing');
  });
  test('a malformed secret is described without echoing it', async () => {
    const error = await loadError({ channel_type: 'weworktop', weworktop: { ...credentials, aes_key: 'short-secret-key' } });
    assert.equal(error.message, 'config error: weworktop.aes_key: expected the 43-character EncodingAESKey from the WeCom console, found a value of 16 characters');
    assert.ok(!error.message.includes('short-secret-key'));
  });
  test('bad agents entries name the index and key', async () => {
    const error = await loadError({ channel_type: 'weworktop', weworktop: { ...credentials, agents: [{ agent_id: 'abc', corp_secret: 's', token: 't', aes_key: KEY }] } });
    assert.match(error.message, /^config error: weworktop\.agents: expected agents\[0\]\.agent_id to be the numeric AgentId/);
  });
});

describe('normalizeShape', () => {
  test('moves core keys out of the channel section and keeps channel keys in it', () => {
    const shaped = normalizeShape({ services: { channel_type: 'weworktop', weworktop: { corp_id: 'c', model: 'm' } } }, 'weworktop');
    assert.deepEqual(shaped, { channel_type: 'weworktop', model: 'm', weworktop: { corp_id: 'c' } });
  });
});
