import { createBackendBot } from '../backends/choose-backend.js';
import type { AppConfig } from '../config/load-config.js';
import type { Logger } from '../logger.js';
import { createMediaEngines } from '../media/create-media-engines.js';
import type { Metrics } from '../metrics/metrics.js';
import type { PluginRegistry } from '../plugins/plugin-bus.js';
import { type Plugin, PluginBus } from '../plugins/plugin-bus.js';
import { ConversationStore } from '../session/conversation-store.js';
import { conversationTtlSeconds } from '../session/retention.js';
import { TokenCounter } from '../session/token-counter.js';
import type { SessionPersistence } from '../store/session-persistence.js';
import { Pipeline } from './pipeline.js';

export interface PipelineStores {
  /** session_store "sqlite": where conversations are kept. */
  sessions?: SessionPersistence;
  metrics?: Metrics;
  /** A conversation was cleared (#清除记忆): the inbox erases its texts too. */
  onClear?: (sessionKey: string) => void;
}

/** The pipeline the config describes: the backend's bot, tokenizer, conversations, plugins, voice and image engines. */
export async function buildPipeline(
  config: AppConfig,
  logger: Logger,
  plugins: PluginRegistry,
  { sessions, metrics, onClear }: PipelineStores = {},
): Promise<Pipeline> {
  const log = logger.child({ module: 'app' });
  const tokens = new TokenCounter(config.model);
  const [bot, media, pluginList] = await Promise.all([
    createBackendBot(config, { logger, countTokens: (text) => tokens.count(text) }),
    createMediaEngines(config, logger),
    loadPlugins(config, plugins, logger),
  ]);
  const bus = new PluginBus(pluginList, logger);
  if (bus.names.length) log.info({ plugins: bus.names.join(',') }, 'plugins enabled');
  return new Pipeline({
    config,
    logger,
    bot,
    tokens,
    conversations: new ConversationStore({
      maxSessions: config.max_sessions,
      ttlSeconds: conversationTtlSeconds(config),
      ...(sessions ? { persistence: sessions } : {}),
      ...(onClear ? { onClear } : {}),
    }),
    plugins: bus,
    ...media,
    ...(metrics ? { metrics } : {}),
  });
}

/** Plugin names were checked on the main thread (checkPluginNames) before this worker started. */
async function loadPlugins(config: AppConfig, registry: PluginRegistry, logger: Logger): Promise<Plugin[]> {
  return Promise.all(
    config.plugins.map(async (name) => {
      const module = await registry.load(name);
      return module.createPlugin(config.plugin_config[name] ?? {}, { logger: logger.child({ module: `plugin:${name}` }) });
    }),
  );
}
