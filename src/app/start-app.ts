import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rulesByScope } from '../assistants/by-scope.js';
import type { ChannelRegistry, Receiver } from '../channel.js';
import { ConfigError, withWrittenKey } from '../config/config-error.js';
import { EMBEDDED_DEFAULT, loadConfig } from '../config/load-config.js';
import type { AppConfig } from '../config/schema.js';
import { checkForwardConfig, Forwarder } from '../forward/forwarder.js';
import { collectSecrets, createLogger, type Logger, type LogSink } from '../logger.js';
import type { NormalizedMessage } from '../message.js';
import { CORE_METRICS } from '../metrics/core-metrics.js';
import { NO_METRICS } from '../metrics/metrics.js';
import { checkPluginNames } from '../plugins/check-plugin-names.js';
import type { PluginRegistry } from '../plugins/plugin-bus.js';
import { startPushApi } from '../push/start-push-api.js';
import { RepeatedLineFilter } from '../repeated-lines.js';
import { runtimeTuning } from '../runtime/tuning.js';
import type { Inbox } from '../store/inbox.js';
import { openInboxStore } from '../store/open-stores.js';
import type { OutboundQueue } from '../store/outbound-queue.js';
import { LeasedAnswerDispatch } from '../worker/leased-dispatch.js';
import { AnswerWorkerHost } from '../worker/worker-host.js';
import { createHttpServer, listen, type Readiness } from './http-server.js';
import { MessageIntake } from './intake.js';

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
  receiver: Receiver;
  /** The port the HTTP server listens on (the configured one, or the one the OS chose for 0). */
  port: number;
  stop(): Promise<void>;
}

/** The answer worker's entry, next to app.ts (worker-main.ts under tsx, dist/worker-main.js built). */
const WORKER_MAIN = new URL(`../../worker-main${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * Loads the config, opens the inbox, starts the answer worker (the pipeline's thread) and the
 * chosen channel's receiver on this thread, and listens: the port opens while the worker still
 * loads (what arrives meanwhile is stored and waits for it). Resolves once the worker runs.
 */
export async function startApp(options: StartAppOptions): Promise<RunningApp> {
  // Loading the config, the channel and the store would grow the main thread's young generation
  // past its hold: held while the app starts, whatever runtime_tuning says (memory-policy.ts).
  const startupHold = runtimeTuning(true).holdMainHeap();
  try {
    return await start(options);
  } finally {
    startupHold();
  }
}

async function start(options: StartAppOptions): Promise<RunningApp> {
  const cwd = options.cwd ?? process.cwd();
  const { config, source, warnings, notices, keyNames, assistants } = await loadConfig({
    argv: options.argv,
    env: options.env,
    cwd,
    channels: options.channels,
  });
  // A config error is one line on its own, before any log line.
  checkPluginNames(config, options.plugins);
  checkForwardConfig(config);
  // Both threads' lines pass here: a repeated warning or error is counted, not written again. The terminal channel chats on stdout: its log lines go to stderr.
  const sink = new RepeatedLineFilter(options.logSink ?? (config.channel_type === 'terminal' ? process.stderr : process.stdout));
  const logger = createLogger({ level: config.log_level, secrets: collectSecrets(config), sink });
  const log = logger.child({ module: 'app' });
  log.info({ channel: config.channel_type, config: source }, 'starting weworktop');
  for (const notice of notices) log.info(notice);
  for (const warning of warnings) log.warn(warning);
  // One line per app or bot when some answer with assistants of their own.
  if (assistants.length > 1) for (const assistant of assistants) log.info(`assistant of ${assistant.label}: ${assistant.summary}`);
  const channelModule = await options.channels.load(config.channel_type);
  const tuning = runtimeTuning(config.runtime_tuning);
  tuning.atStart();

  const redis = config.store === 'redis' ? await import('../store/redis/index.js') : undefined;
  const shared = redis?.openSharedStore(config, log);
  const store: { inbox: Inbox; outbound: OutboundQueue; files: string[]; close(): void | Promise<void> } = shared
    ? { inbox: shared.inbox, outbound: shared.outbound, files: [], close: () => shared.close() }
    : openInboxStore(config, cwd, log);
  if (shared) log.info({ store: 'redis', prefix: config.redis_prefix, lease_seconds: config.lease_seconds }, 'store opened');
  else if (store.files.length)
    log.info({ inbox: config.inbox_store, sessions: config.session_store, files: store.files.join(',') }, 'store opened');
  const releaseHeap = tuning.holdMainHeap();
  // prom-client loads only with metrics on.
  const metrics = config.metrics
    ? new (await import('../metrics/metrics-registry.js')).MetricsRegistry([...CORE_METRICS, ...(channelModule.metrics ?? [])])
    : undefined;
  const worker = AnswerWorkerHost.start({
    entry: WORKER_MAIN,
    config,
    cwd,
    assistants,
    inbox: store.inbox,
    logger,
    logSink: sink,
    tuning,
    ...(metrics ? { metrics } : {}),
    ...(shared ? { waitingBehind: (sessionKey: string, id: string) => shared.inbox.waitingBehind(sessionKey, id) } : {}),
  });
  // Creating the worker's isolate lets this thread's young generation grow until its thread runs
  // and the hold is set again: nothing is allocated here meanwhile (docs/performance.md, memory policy).
  await worker.online;
  // With store "redis", one message per conversation at a time goes to the worker, while this instance holds its lease.
  const answers = shared
    ? new LeasedAnswerDispatch({
        host: worker,
        inbox: shared.inbox,
        leases: shared.leases,
        maxHeld: 2 * config.concurrency,
        pools: () => shared.exclusive.held(),
        logger,
      })
    : worker;
  metrics?.sample('weworktop_inbox_pending', () => worker.pending);
  const forwarder = config.forward.url
    ? new Forwarder({
        config,
        queue: store.outbound,
        channelFields: (message) => channelModule.forwardFields?.(message) ?? {},
        logger: log,
      })
    : undefined;
  const rules = rulesByScope(assistants);
  const rateLimitPerMinute = channelModule.rateLimited === false ? 0 : config.rate_limit_per_minute;
  const intake = new MessageIntake({
    channel: config.channel_type,
    rules,
    logger: log,
    inbox: store.inbox,
    answers,
    maxOutstanding: config.max_queue + config.concurrency,
    rateLimitPerMinute,
    ...(shared && redis
      ? {
          limiter: new redis.RedisRateLimiter(shared.connection, rateLimitPerMinute),
          poolOf: (message: NormalizedMessage) => (shared.exclusive.isExclusive(message.scope) ? message.scope : undefined),
        }
      : {}),
    keep: tuning.keep,
    metrics: metrics ?? NO_METRICS,
    ...(forwarder ? { forward: forwarder } : {}),
    answering: config.bot_type !== 'none',
  });
  let receiver: Receiver | undefined;
  let push: { start(): Promise<void>; stop(timeoutMs: number): Promise<void>; readonly pending: number } | undefined;
  metrics?.sample('weworktop_push_pending', () => push?.pending ?? 0);
  metrics?.sample('weworktop_forward_pending', () => forwarder?.pending ?? 0);
  const ready = async (): Promise<Readiness> => {
    if (!store.inbox.healthy()) return { ok: false, reason: shared ? 'redis unavailable' : 'inbox store unavailable' };
    const channel = (await receiver?.ready?.()) ?? { ok: true };
    return channel.ok ? answers.ready() : channel;
  };
  const { server, refuseRequests } = createHttpServer(
    {
      logger: log,
      headersTimeout: config.callback_headers_timeout,
      requestTimeout: config.callback_request_timeout,
      ...(metrics ? { metrics: { registry: metrics, token: config.metrics_token } } : {}),
    },
    ready,
  );
  let port: number;
  try {
    receiver = await channelModule.createReceiver({
      config,
      logger,
      rules,
      intake,
      link: worker.link,
      requestShutdown: (reason) => options.onShutdownRequest?.(reason),
      dataDir: path.resolve(cwd, config.data_dir),
      metrics: metrics ?? NO_METRICS,
      ...(shared && redis
        ? { exclusive: shared.exclusive, shared: new redis.RedisSharedState(shared.connection), turns: shared.turns }
        : {}),
      ...(source === EMBEDDED_DEFAULT ? {} : { configFile: source }),
    });
    // Before listening, so a user's new messages queue behind the ones left from the last run (with
    // store "redis" they wait there, and the leases hand them over).
    receiver.resume?.(shared ? [] : await intake.replay());
    // A channel without routes (the terminal) needs no port.
    if (receiver.routes) {
      receiver.routes(server);
      push = startPushApi({
        config,
        channel: channelModule,
        server,
        queue: store.outbound,
        dispatch: worker,
        logger: log,
        metrics: metrics ?? NO_METRICS,
      });
      port = await listen(server, config.host, config.port);
      log.info(
        `listening on ${config.host}:${port}${metrics ? ` (Prometheus metrics at /metrics${config.metrics_token ? ', with metrics_token' : ''})` : ''}`,
      );
    } else {
      port = 0;
    }
    await worker.started;
    await Promise.all([push?.start(), forwarder?.start()]);
    await receiver.start?.({ port });
  } catch (error) {
    refuseRequests();
    await push?.stop(0);
    await forwarder?.stop(0);
    await receiver?.stop?.();
    await receiver?.close?.();
    await server.close();
    await worker.stop();
    await store.close();
    releaseHeap();
    sink.close();
    throw error instanceof ConfigError ? withWrittenKey(error, keyNames) : error;
  }
  const running = receiver;
  return {
    config,
    logger,
    receiver: running,
    port,
    /**
     * Requests get 503 from now on (a platform retries them later), messages being answered get
     * up to shutdown_timeout, and everything else stays in the inbox for the next start.
     */
    async stop() {
      try {
        refuseRequests();
        await running.stop?.();
        await Promise.all([push?.stop(config.shutdown_timeout * 1000), forwarder?.stop(config.shutdown_timeout * 1000)]);
        const finished = await answers.drain(config.shutdown_timeout * 1000);
        await shared?.exclusive.releaseAll();
        if (!finished)
          log.warn({ shutdown_timeout: config.shutdown_timeout }, 'shutdown: answers still running are left pending for the next start');
        await running.close?.();
        await server.close();
        await worker.stop();
        await store.close();
        releaseHeap();
        sink.flush();
        log.info('stopped');
      } finally {
        sink.close();
      }
    },
  };
}
