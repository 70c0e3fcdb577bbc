import { OfflineBot } from '../bot/offline-bot.js';
import { createOpenAIClient } from '../bot/openai-client.js';
import { OpenAIChatBot } from '../bot/openai-chat-bot.js';
import { chooseLlm, OPENAI_API_BASE } from '../config/cow-providers.js';
import type { AppConfig } from '../config/load-config.js';
import type { Logger } from '../logger.js';
import { createMediaEngines } from '../media/create-media-engines.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { PluginBus, type Plugin } from '../plugins/plugin-bus.js';
import type { PluginRegistry } from '../registries.js';
import { ConversationStore } from '../session/conversation-store.js';
import { TokenCounter } from '../session/token-counter.js';
import type { SessionPersistence } from '../store/session-persistence.js';

/** The pipeline the config describes: the LLM (or the offline responder), tokenizer, conversations, plugins, voice and image engines. */
export async function buildPipeline(config: AppConfig, logger: Logger, plugins: PluginRegistry, sessions: SessionPersistence | undefined): Promise<Pipeline> {
  const log = logger.child({ module: 'app' });
  const tokens = new TokenCounter(config.model);
  const client = createOpenAIClient(config);
  // loadConfig chose the LLM and warned at start when there is none.
  const offline = !config.open_ai_api_key && config.open_ai_api_base === OPENAI_API_BASE;
  const bot = offline ? new OfflineBot((text) => tokens.count(text), { missing: chooseLlm(config, true).missing }) : new OpenAIChatBot({ client, model: config.model, temperature: config.temperature, logger });
  const bus = new PluginBus(await loadPlugins(config, plugins, logger), logger);
  if (bus.names.length) log.info({ plugins: bus.names.join(',') }, 'plugins enabled');
  return new Pipeline({
    config,
    logger,
    bot,
    tokens,
    conversations: new ConversationStore({ maxSessions: config.max_sessions, ttlSeconds: config.expires_in_seconds, ...(sessions ? { persistence: sessions } : {}) }),
    plugins: bus,
    ...createMediaEngines(config, client, logger),
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
