import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { channelRegistry } from '../../channels/registry.js';
import { pluginRegistry } from '../../plugins/registry.js';
import { createBackendBot } from '../../src/backends/choose-backend.js';
import { ConfigError } from '../../src/config/config-error.js';
import { type AppConfig, loadConfig } from '../../src/config/load-config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import type { ImageGenerator, SpeechRecognizer, SpeechSynthesizer } from '../../src/media/media-engines.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { type Plugin, PluginBus } from '../../src/plugins/plugin-bus.js';
import { ConversationStore } from '../../src/session/conversation-store.js';
import { TokenCounter } from '../../src/session/tokens.js';

export interface Harness {
  pipeline: Pipeline;
  config: AppConfig;
  conversations: ConversationStore;
  logs: string[];
  logger: Logger;
}

export interface HarnessOptions {
  config?: Record<string, unknown>;
  openaiUrl: string;
  now?: () => number;
  speech?: SpeechRecognizer;
  synthesizer?: SpeechSynthesizer;
  images?: ImageGenerator;
}

/** A real pipeline (real config loading, tokenizer, OpenAI SDK) against a fake OpenAI server. */
export async function createHarness(options: HarnessOptions): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weworktop-harness-'));
  writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      open_ai_api_key: 'sk-test-key-123456',
      open_ai_api_base: options.openaiUrl,
      max_retries: 0,
      log_level: 'debug',
      ...options.config,
    }),
  );
  const { config } = await loadConfig({ argv: [], env: {}, cwd: dir, channels: channelRegistry });
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', secrets: ['sk-test-key-123456'], sink: { write: (line) => logs.push(line) } });
  const plugins: Plugin[] = [];
  for (const name of config.plugins) {
    if (!pluginRegistry.names.includes(name)) throw new ConfigError('plugins', 'a known plugin', name);
    plugins.push((await pluginRegistry.load(name)).createPlugin(config.plugin_config[name] ?? {}, { logger }));
  }
  const tokens = new TokenCounter(config.model);
  const conversations = new ConversationStore({
    maxSessions: config.max_sessions,
    ttlSeconds: config.expires_in_seconds,
    ...(options.now ? { now: options.now } : {}),
  });
  const pipeline = new Pipeline({
    config,
    logger,
    bot: await createBackendBot(config, { logger, countTokens: (text) => tokens.count(text) }),
    tokens,
    conversations,
    plugins: new PluginBus(plugins, logger),
    ...(options.speech ? { speech: options.speech } : {}),
    ...(options.synthesizer ? { synthesizer: options.synthesizer } : {}),
    ...(options.images ? { images: options.images } : {}),
  });
  return { pipeline, config, conversations, logs, logger };
}
