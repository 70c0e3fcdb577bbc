import type { Assistant } from '../assistants/assistant.js';
import { type AssistantPipelines, pipelinesByScope } from '../assistants/by-scope.js';
import { createBackendBot } from '../backends/choose-backend.js';
import type { AppConfig } from '../config/load-config.js';
import type { Logger } from '../logger.js';
import { createMediaEngines } from '../media/create-media-engines.js';
import type { Metrics } from '../metrics/metrics.js';
import type { PluginRegistry } from '../plugins/plugin-bus.js';
import { type Plugin, PluginBus } from '../plugins/plugin-bus.js';
import { ConversationStore } from '../session/conversation-store.js';
import { conversationTtlSeconds } from '../session/retention.js';
import { TokenCounter } from '../session/tokens.js';
import type { SessionPersistence } from '../store/session-persistence.js';
import { Pipeline } from './pipeline.js';

export interface PipelineStores {
  /** session_store "sqlite": where conversations are kept. */
  sessions?: SessionPersistence;
  metrics?: Metrics;
  /** A conversation was cleared (#清除记忆): the inbox erases its texts too. */
  onClear?: (sessionKey: string) => void;
}

/**
 * The pipelines the config describes, one per assistant (its backend's bot, tokenizer, voice and
 * image engines), sharing the conversations (keys never cross scopes) and the plugins.
 */
export async function buildPipelines(
  config: AppConfig,
  assistants: readonly Assistant[],
  logger: Logger,
  plugins: PluginRegistry,
  { sessions, metrics, onClear }: PipelineStores = {},
): Promise<AssistantPipelines> {
  const log = logger.child({ module: 'app' });
  const conversations = new ConversationStore({
    maxSessions: config.max_sessions,
    ttlSeconds: conversationTtlSeconds(config),
    ...(sessions ? { persistence: sessions } : {}),
    ...(onClear ? { onClear } : {}),
  });
  const bus = new PluginBus(await loadPlugins(config, plugins, logger), logger);
  if (bus.names.length) log.info({ plugins: bus.names.join(',') }, 'plugins enabled');
  // Assistants that share one config object (an app or bot without keys of its own) share one pipeline.
  const built = new Map<AppConfig, Promise<Pipeline>>();
  const pipelineOf = (assistantConfig: AppConfig): Promise<Pipeline> => {
    let pipeline = built.get(assistantConfig);
    if (!pipeline) {
      pipeline = buildOne(assistantConfig, logger, conversations, bus, metrics);
      built.set(assistantConfig, pipeline);
    }
    return pipeline;
  };
  const pipelines = await Promise.all(
    (assistants.length ? assistants : [{ scope: '', config }]).map(async (assistant) => ({
      scope: assistant.scope,
      pipeline: await pipelineOf(assistant.config),
    })),
  );
  return pipelinesByScope(pipelines, () => conversations.expireIdle());
}

async function buildOne(
  config: AppConfig,
  logger: Logger,
  conversations: ConversationStore,
  plugins: PluginBus,
  metrics: Metrics | undefined,
): Promise<Pipeline> {
  const tokens = new TokenCounter(config.model);
  const [bot, media] = await Promise.all([
    createBackendBot(config, { logger, countTokens: (text) => tokens.count(text) }),
    createMediaEngines(config, logger),
  ]);
  return new Pipeline({ config, logger, bot, tokens, conversations, plugins, ...media, ...(metrics ? { metrics } : {}) });
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
