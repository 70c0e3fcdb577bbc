import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { channelRegistry } from '../../../channels/registry.js';
import type { BackendConfig, BackendModule, BackendRegistry } from '../../../src/backends/backend-module.js';
import type { ChatBot } from '../../../src/backends/chat-bot.js';
import { backendNamed, createBackendBot } from '../../../src/backends/choose-backend.js';
import { OfflineBot } from '../../../src/backends/offline.js';
import { OpenAIChatBot } from '../../../src/backends/openai/client.js';
import { backendRegistry } from '../../../src/backends/registry.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/logger.js';
import { createRegistry } from '../../../src/registries.js';

const deps = { logger: createLogger({ level: 'silent', secrets: [] }), countTokens: (text: string) => text.length };

/** A backend with a key of its own, the shape a new one (dify) takes: a module and a registry line. */
const echoBackend: BackendModule = {
  configSchema: { echo_prefix: { doc: 'Put before every answer.', format: String, default: '> ', env: 'ECHO_PREFIX' } },
  async createBot(config: BackendConfig): Promise<ChatBot> {
    return { complete: async (messages) => ({ text: `${String(config.echo_prefix)}${String(messages.at(-1)?.content)}` }) };
  },
};

/** The real backends plus echo, counting which modules were loaded. */
function countingRegistry(): { registry: BackendRegistry; loaded: string[] } {
  const loaded: string[] = [];
  const registry = createRegistry<BackendModule>({
    openai: async () => (loaded.push('openai'), backendRegistry.load('openai')),
    echo: async () => (loaded.push('echo'), echoBackend),
  });
  return { registry, loaded };
}

async function load(keys: Record<string, unknown>, options: { backends?: BackendRegistry; env?: NodeJS.ProcessEnv } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'weworktop-backends-'));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(keys));
  return loadConfig({
    argv: [],
    env: options.env ?? {},
    cwd: dir,
    channels: channelRegistry,
    ...(options.backends ? { backends: options.backends } : {}),
  });
}

describe('the backend registry', () => {
  test('names its backends up front; "openai" is the one every CoW bot_type means', () => {
    assert.deepEqual(backendRegistry.names, ['openai', 'none', 'dify']);
    for (const botType of ['', 'openai', 'chatGPT', 'deepseek', 'qwen', 'claudeAPI', 'custom'])
      assert.equal(backendNamed(botType, backendRegistry.names), 'openai', botType);
  });

  test('a backend of its own (not a CoW value) means itself', () => {
    assert.equal(backendNamed('dify', ['openai', 'dify']), 'dify');
  });

  test('an unknown bot_type is a ConfigError naming bot_type and the values it takes', async () => {
    assert.throws(
      () => backendNamed('nope', ['openai', 'dify']),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.key === 'bot_type' &&
        /expected one of "openai", "dify", "chatGPT", .*"deepseek".*, found string "nope"$/.test(error.message),
    );
    await assert.rejects(load({ bot_type: 'nope' }), (error: unknown) => error instanceof ConfigError && error.key === 'bot_type');
    await assert.rejects(
      load({}, { env: { BOT_TYPE: 'toString' } }),
      (error: unknown) => error instanceof ConfigError && error.key === 'bot_type',
      'names on Object.prototype are no bot_type',
    );
  });

  test('loads only the backend bot_type chooses', async () => {
    const { registry, loaded } = countingRegistry();
    assert.deepEqual(registry.names, ['openai', 'echo']);
    assert.deepEqual(loaded, [], 'nothing loaded to list the names');
    const bot = await createBackendBot({ ...(await load({ bot_type: 'echo' }, { backends: registry })).config }, deps, registry);
    assert.deepEqual(loaded, ['echo', 'echo'], 'once for its schema (main thread), once for its bot (answer worker)');
    assert.equal((await bot.complete([{ role: 'user', content: 'hi' }])).text, '> hi');
  });

  test("a backend's own keys join the config (file and environment); CoW's provider mapping is left to the OpenAI-compatible backend", async () => {
    const { registry } = countingRegistry();
    const { config, notices, warnings, llm } = await load({ bot_type: 'echo', echo_prefix: '>> ' }, { backends: registry });
    assert.equal(config.echo_prefix, '>> ');
    assert.equal(llm, undefined);
    assert.ok(notices.includes('LLM: the echo backend (by bot_type)'), notices.join('\n'));
    assert.deepEqual(warnings, [], 'no offline warning, no unknown key');
    assert.equal((await load({ bot_type: 'echo' }, { backends: registry, env: { ECHO_PREFIX: 'env: ' } })).config.echo_prefix, 'env: ');
    const other = await load({ echo_prefix: '>> ' }, { backends: registry });
    assert.match(other.warnings.join('\n'), /not used by weworktop and ignored.*echo_prefix/, 'keys of a backend not chosen are unknown');
  });
});

describe('the OpenAI-compatible backend', () => {
  test('answers through the SDK with a key (or a base URL of its own), and with the offline responder with neither', async () => {
    assert.ok((await createBackendBot((await load({})).config, deps)) instanceof OfflineBot);
    assert.ok((await createBackendBot((await load({ open_ai_api_key: 'sk-test-0001' })).config, deps)) instanceof OpenAIChatBot);
    assert.ok(
      (await createBackendBot((await load({ open_ai_api_base: 'http://127.0.0.1:11434/v1' })).config, deps)) instanceof OpenAIChatBot,
    );
  });

  test('the offline responder names the key a CoW model needs', async () => {
    const bot = await createBackendBot((await load({ model: 'deepseek-chat' })).config, { ...deps });
    assert.ok(bot instanceof OfflineBot);
    assert.match((await bot.complete([{ role: 'user', content: '你好' }])).text, /deepseek_api_key 为空/);
  });
});
