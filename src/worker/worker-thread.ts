import { parentPort, workerData } from 'node:worker_threads';
import type { ChannelLink, ChannelRegistry, Replier } from '../channel.js';
import { collectSecrets, createLogger, type Logger } from '../logger.js';
import { CORE_METRICS } from '../metrics/core-metrics.js';
import { type Metrics, NO_METRICS } from '../metrics/metrics.js';
import { sendMetricsBatches, WorkerMetrics } from '../metrics/worker-metrics.js';
import { buildPipelines } from '../pipeline/build-pipeline.js';
import type { PluginRegistry } from '../plugins/plugin-bus.js';
import { runtimeTuning } from '../runtime/tuning.js';
import { scheduleRetention } from '../session/retention.js';
import { openSessionStore } from '../store/open-stores.js';
import type { SessionStore } from '../store/session-persistence.js';
import type { AnswerJob } from './answer-dispatch.js';
import { AnswerRunner } from './answer-runner.js';
import { pushThrough } from './push-through.js';
import type { WorkerData } from './worker-host.js';
import { type FromWorker, Outbox, PendingAsks, serializeError, type ToWorker } from './worker-protocol.js';

/** Backoff between tries of a failing message stops growing here. */
const MAX_RETRY_DELAY_MS = 5 * 60 * 1000;

/**
 * The answer worker thread: builds the pipeline and the channel's replier from the config it is
 * given, answers the jobs the main thread sends, and reports settlements, attempts and log lines
 * back. It owns the conversations' store; the inbox stays with the main thread.
 */
export async function runWorkerThread(registries: { channels: ChannelRegistry; plugins: PluginRegistry }): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('runWorkerThread runs in a worker thread');
  // When the CPU is short, the acks win (thread-priority.ts).
  const { config, cwd, assistants, asksWaiting } = workerData as WorkerData;
  runtimeTuning(config.runtime_tuning).inWorker();
  const outbox = new Outbox<FromWorker>((reports) => port.postMessage(reports), 'turn');
  const logger = createLogger({
    level: config.log_level,
    secrets: collectSecrets(config),
    sink: { write: (line) => outbox.post({ type: 'log', line }) },
  });
  const linkHandlers: Array<(message: unknown) => void> = [];
  const link: ChannelLink = {
    post: (message) => outbox.post({ type: 'link', message }),
    onMessage: (handler) => void linkHandlers.push(handler),
  };

  let store: SessionStore | undefined;
  const stores = new PendingStores();
  const waitingAsks = new PendingAsks<Array<Omit<AnswerJob, 'kind'>>>();
  let replier: Replier;
  let runner: AnswerRunner;
  let metrics: Metrics = NO_METRICS;
  let batches: { stop(): void } | undefined;
  let retention: { stop(): void } | undefined;
  try {
    store = await openSessionStore(config, cwd, logger);
    const channelModule = await registries.channels.load(config.channel_type);
    if (config.metrics) {
      const recorder = new WorkerMetrics([...CORE_METRICS, ...(channelModule.metrics ?? [])]);
      batches = sendMetricsBatches(recorder, (batch) => outbox.post({ type: 'metrics', batch }));
      metrics = recorder;
    }
    const onClear = (sessionKey: string) => outbox.post({ type: 'forget', sessionKey });
    const pipeline = await buildPipelines(config, assistants, logger, registries.plugins, {
      ...(store.sessions ? { sessions: store.sessions } : {}),
      metrics,
      onClear,
    });
    retention = scheduleRetention(config.retention_days, () => pipeline.expireConversations(), logger.child({ module: 'app' }));
    replier = await channelModule.createReplier({ config, logger, link, metrics });
    runner = new AnswerRunner({
      handler: pipeline,
      replier,
      concurrency: config.concurrency,
      retry: { maxAttempts: config.max_attempts, baseDelayMs: config.retry_delay_ms, maxDelayMs: MAX_RETRY_DELAY_MS },
      settlement: {
        settled: (id, failed, confirmedBy) =>
          outbox.post({ type: 'settled', id, ...(failed === undefined ? {} : { failed }), ...(confirmedBy ? { confirmedBy } : {}) }),
        attempted: (id) => outbox.post({ type: 'attempt', id }),
        store: (id, outcomeJson) => stores.request(id, () => outbox.post({ type: 'store', id, outcomeJson })),
        progress: (id, partsSent) => outbox.post({ type: 'progress', id, partsSent }),
      },
      ...(asksWaiting
        ? {
            waitingBehind: (sessionKey: string, id: string) =>
              waitingAsks.request((ask) => outbox.post({ type: 'waiting?', ask, sessionKey, id })),
          }
        : {}),
      logger,
      metrics,
    });
  } catch (error) {
    batches?.stop();
    retention?.stop();
    store?.close();
    outbox.post({ type: 'failed', error: serializeError(error) });
    outbox.flush();
    return;
  }

  port.on('message', (messages: ToWorker[]) => {
    for (const message of messages) {
      switch (message.type) {
        case 'job':
          if (message.job.kind === 'answer') runner.answer(message.job);
          else runner.notify(message.job);
          break;
        case 'link':
          for (const handler of linkHandlers) handler(message.message);
          break;
        case 'stored':
          stores.answered(message.id, message.error);
          break;
        case 'waiting':
          waitingAsks.answered(message.ask, message.jobs);
          break;
        case 'ready?':
          void readiness(replier, logger).then((answer) => outbox.post({ type: 'ready', ask: message.ask, ...answer }));
          break;
        case 'push':
          void pushThrough(replier, message, (partsSent) => outbox.post({ type: 'push-progress', call: message.call, partsSent })).then(
            (failure) => outbox.post({ type: 'pushed', call: message.call, ...(failure ? { failure } : {}) }),
          );
          break;
        case 'forgotten':
          store?.wipeWals();
          break;
        case 'drain':
          void runner.drain(message.timeoutMs).then((finished) => outbox.post({ type: 'drained', finished }));
          break;
        case 'stop':
          retention?.stop();
          void stop(replier, store, logger).finally(() => {
            batches?.stop();
            outbox.post({ type: 'stopped' });
            outbox.flush();
          });
          break;
      }
    }
  });
  outbox.post({ type: 'started' });
}

/** Answers waiting for the main thread to store them in the inbox, by message id. */
class PendingStores {
  private readonly waiting = new Map<string, { resolve(): void; reject(error: Error): void }>();

  request(id: string, send: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      send();
    });
  }

  answered(id: string, error: string | undefined): void {
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    // A store that failed may pass (the disk): the message is retried.
    if (error === undefined) waiter?.resolve();
    else waiter?.reject(Object.assign(new Error(`the answer could not be stored: ${error}`), { transient: true }));
  }
}

async function readiness(replier: Replier, logger: Logger): Promise<{ ok: boolean; reason?: string }> {
  try {
    return (await replier.ready?.()) ?? { ok: true };
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'readiness check failed');
    return { ok: false, reason: (error as Error).message };
  }
}

async function stop(replier: Replier, store: SessionStore | undefined, logger: Logger): Promise<void> {
  try {
    await replier.close?.();
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'closing the replier failed');
  }
  store?.close();
}
