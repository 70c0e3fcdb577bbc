import { OfflineBot } from './bot/offline-bot.js';
import { createOpenAIClient } from './bot/openai-client.js';
import { OpenAIChatBot } from './bot/openai-chat-bot.js';
import type { Channel } from './channel.js';
import { ConfigError, describeFound } from './config/config-error.js';
import { loadConfig, type AppConfig } from './config/load-config.js';
import { collectSecrets, createLogger, type LogSink, type Logger } from './logger.js';
import { createMediaEngines } from './media/create-media-engines.js';
import { Pipeline } from './pipeline/pipeline.js';
import { PluginBus, type Plugin } from './plugins/plugin-bus.js';
import type { ChannelRegistry, PluginRegistry } from './registries.js';
import { ConversationStore } from './session/conversation-store.js';
import { openStores } from './store/open-stores.js';
import { TokenCounter } from './session/token-counter.js';

export interface StartAppOptions {
  channels: ChannelRegistry;
  plugins: PluginRegistry;
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logSink?: LogSink;
  /** Called when a channel asks to end the app (e.g. the terminal's input closed). */
  onShutdownRequest?: (reason: string) => void;
}

export interface RunningApp {
  config: AppConfig;
  logger: Logger;
  channel: Channel;
  pipeline: Pipeline;
  stop(): Promise<void>;
}

const DEFAULT_API_BASE = 'https://api.openai.com/v1';

/** Loads and validates the config, wires the core, starts the chosen channel. */
export async function startApp(options: StartAppOptions): Promise<RunningApp> {
  const { config, source, warnings } = await loadConfig({ argv: options.argv, env: options.env, cwd: options.cwd, channels: options.channels });
  const logger = createLogger({ level: config.log_level, secrets: collectSecrets(config), sink: options.logSink });
  const log = logger.child({ module: 'app' });
  log.info({ channel: config.channel_type, config: source }, 'starting weworktop');
  for (const warning of warnings) log.warn(warning);

  const tokens = new TokenCounter(config.model);
  const client = createOpenAIClient(config);
  const offline = !config.open_ai_api_key && config.open_ai_api_base === DEFAULT_API_BASE;
  if (offline) log.warn('no open_ai_api_key set: answering in offline mode (set open_ai_api_key or open_ai_api_base in config.json)');
  const bot = offline ? new OfflineBot((text) => tokens.count(text)) : new OpenAIChatBot({ client, model: config.model, temperature: config.temperature, logger });

  const stores = openStores(config, options.cwd ?? process.cwd(), log);
  if (stores.path) log.info({ inbox: config.inbox_store, sessions: config.session_store, path: stores.path }, 'store opened');

  const plugins = new PluginBus(await loadPlugins(config, options.plugins, logger), logger);
  if (plugins.names.length) log.info({ plugins: plugins.names.join(',') }, 'plugins enabled');
  const pipeline = new Pipeline({
    config,
    logger,
    bot,
    tokens,
    conversations: new ConversationStore({ maxSessions: config.max_sessions, ttlSeconds: config.expires_in_seconds, ...(stores.sessions ? { persistence: stores.sessions } : {}) }),
    plugins,
    ...createMediaEngines(config, client, logger),
  });

  const channelModule = await options.channels.load(config.channel_type);
  const channel = channelModule.createChannel({
    config,
    logger,
    handler: pipeline,
    requestShutdown: (reason) => options.onShutdownRequest?.(reason),
    inbox: stores.inbox,
  });
  try {
    await channel.start();
  } catch (error) {
    await stores.close();
    throw error;
  }
  return {
    config,
    logger,
    channel,
    pipeline,
    async stop() {
      await channel.stop();
      await stores.close();
      log.info('stopped');
    },
  };
}

async function loadPlugins(config: AppConfig, registry: PluginRegistry, logger: Logger): Promise<Plugin[]> {
  const unknown = config.plugins.find((name) => !registry.names.includes(name));
  if (unknown !== undefined) {
    throw new ConfigError('plugins', `names from ${registry.names.map((n) => `"${n}"`).join(', ')}`, describeFound(unknown));
  }
  return Promise.all(
    config.plugins.map(async (name) => {
      const module = await registry.load(name);
      return module.createPlugin(config.plugin_config[name] ?? {}, { logger: logger.child({ module: `plugin:${name}` }) });
    }),
  );
}
