import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnswerWorker } from './answering/answer-worker.js';
import { checkPluginNames } from './plugins/check-plugin-names.js';
import type { Channel } from './channel.js';
import { ConfigError, withWrittenKey } from './config/config-error.js';
import { EMBEDDED_DEFAULT, loadConfig, type AppConfig } from './config/load-config.js';
import { boundHeapGrowth, holdMainYoungGeneration } from './memory-policy.js';
import { collectSecrets, createLogger, type LogSink, type Logger } from './logger.js';
import { ConfiguredRules } from './pipeline/message-rules.js';
import type { ChannelRegistry, PluginRegistry } from './registries.js';
import { RepeatedLineFilter } from './repeated-lines.js';
import { openInboxStore } from './store/open-stores.js';

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
  stop(): Promise<void>;
}

/** The answer worker's entry, next to app.ts (answer-worker.ts under tsx, dist/answer-worker.js built). */
const ANSWER_WORKER = new URL(`../answer-worker${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * Loads and validates the config, opens the inbox, starts the answer worker (the pipeline's
 * thread) and then the chosen channel, which receives on this thread.
 */
export async function startApp(options: StartAppOptions): Promise<RunningApp> {
  boundHeapGrowth();
  const cwd = options.cwd ?? process.cwd();
  const { config, source, warnings, notices, keyNames } = await loadConfig({ argv: options.argv, env: options.env, cwd, channels: options.channels });
  // A config error is one line on its own, before any log line.
  checkPluginNames(config, options.plugins);
  // Both threads' lines pass here: a repeated warning or error is counted, not written again. The terminal channel chats on stdout: its log lines go to stderr.
  const sink = new RepeatedLineFilter(options.logSink ?? (config.channel_type === 'terminal' ? process.stderr : process.stdout));
  const logger = createLogger({ level: config.log_level, secrets: collectSecrets(config), sink });
  const log = logger.child({ module: 'app' });
  log.info({ channel: config.channel_type, config: source }, 'starting weworktop');
  for (const notice of notices) log.info(notice);
  for (const warning of warnings) log.warn(warning);
  const channelModule = await options.channels.load(config.channel_type);

  const store = openInboxStore(config, cwd, log);
  if (store.files.length) log.info({ inbox: config.inbox_store, sessions: config.session_store, files: store.files.join(',') }, 'store opened');
  const releaseYoungGeneration = holdMainYoungGeneration();
  let answers: AnswerWorker | undefined;
  let channel: Channel;
  try {
    answers = await AnswerWorker.start({ entry: ANSWER_WORKER, config, cwd, inbox: store.inbox, logger, logSink: sink });
    channel = await channelModule.createChannel({
      config,
      logger,
      rules: new ConfiguredRules(config),
      inbox: store.inbox,
      answers,
      requestShutdown: (reason) => options.onShutdownRequest?.(reason),
      ...(source === EMBEDDED_DEFAULT ? {} : { configFile: source }),
    });
    await channel.start();
  } catch (error) {
    await answers?.stop();
    store.close();
    releaseYoungGeneration();
    sink.close();
    throw error instanceof ConfigError ? withWrittenKey(error, keyNames) : error;
  }
  const running = answers;
  return {
    config,
    logger,
    channel,
    async stop() {
      try {
        await channel.stop();
        await running.stop();
        store.close();
        releaseYoungGeneration();
        sink.flush();
        log.info('stopped');
      } finally {
        sink.close();
      }
    },
  };
}
