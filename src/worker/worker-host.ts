import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Assistant } from '../assistants/assistant.js';
import type { ChannelLink } from '../channel.js';
import type { AppConfig } from '../config/load-config.js';
import type { Logger, LogSink } from '../logger.js';
import type { MetricsRegistry } from '../metrics/metrics-registry.js';
import type { PushMessage } from '../push/push-message.js';
import type { RuntimeTuning } from '../runtime/tuning.js';
import type { Inbox, InboxEntry } from '../store/inbox.js';
import { type AnswerDispatch, type AnswerJob, jobFromInbox, jobFromSharedInbox, type NoticeJob } from './answer-dispatch.js';
import { Backlog } from './backlog.js';
import { PushCalls, type PushDispatch } from './push-calls.js';
import { type FromWorker, Outbox, PendingAsks, reviveError, type ToWorker } from './worker-protocol.js';

export interface WorkerHostOptions {
  /** The module the worker runs (the top-level worker-main entry). */
  entry: URL;
  config: AppConfig;
  /** Who answers which scope (LoadedConfig.assistants); none: the top level for every message. */
  assistants?: Assistant[];
  cwd: string;
  inbox: Inbox;
  logger: Logger;
  /** Where the worker's log lines go (already formatted and redacted there). */
  logSink: LogSink;
  /** Messages the worker holds at once (default: from `concurrency`); the rest wait in the backlog. */
  maxInWorker?: number;
  /** Its heap limits, and its priority below the main thread's. */
  tuning: RuntimeTuning;
  /** `metrics: true`: where the worker's batches go. */
  metrics?: MetricsRegistry;
  /**
   * store "redis": a conversation's messages stored behind `id`, not given to the worker (the
   * lease holder gives one at a time), for a burst being gathered to see.
   */
  waitingBehind?: (sessionKey: string, id: string) => Promise<InboxEntry[]>;
}

/** What the worker is given at start: everything it needs to build the pipeline and the replier. */
export interface WorkerData {
  config: AppConfig;
  cwd: string;
  /** One pipeline is built for each (resolved on the main thread: LoadedConfig.assistants). */
  assistants: Assistant[];
  /** Bursts may continue outside the worker: ask the main thread what waits (WorkerHostOptions.waitingBehind). */
  asksWaiting: boolean;
}

/**
 * Messages the worker holds at once, at most: `concurrency` running, the rest ready to start
 * (with room for chatty users, whose messages run one at a time). Beyond it they wait here as ids.
 */
const MIN_IN_WORKER = 256;
const IN_WORKER_PER_SLOT = 4;
/** A worker that dies is started again after this long (doubling while it keeps dying, up to 30 s). */
const RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;
/** /readyz waits this long for the worker's answer (it asks for access tokens, which may take a while). */
const READY_TIMEOUT_MS = 10_000;

/**
 * The main thread's side of the answer worker: the thread where the pipeline, the LLM calls and
 * the platform sends run, so that no answer being written ever delays a callback's ack (and on a
 * machine with two cores, acks and answers run at once). Jobs go over in per-turn batches; the
 * worker's reports come back the same way and are applied to the inbox here, its only writer.
 * If the worker dies, it is started again and given back every message it had not settled.
 */
export class AnswerWorkerHost implements AnswerDispatch, PushDispatch {
  private worker!: Worker;
  private outbox!: Outbox<ToWorker>;
  /** Given to the worker and not settled, in the order given: handed over again if it dies. */
  private readonly unsettled = new Map<string, AnswerJob>();
  /** Accepted while the worker holds its fill: their texts stay in the inbox until there is room. */
  private readonly backlog: Backlog;
  /** Answered, with the delivery left for the receiving half to confirm: still pending in the inbox. */
  private readonly awaitingConfirmation = new Set<string>();
  /** Confirmed before the worker's report of the hand-over arrived. */
  private readonly confirmedEarly = new Set<string>();
  private readonly maxInWorker: number;
  /** Set by a drain: what waits stays pending in the inbox, for the next start. */
  private draining = false;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly readyAsks = new PendingAsks<{ ok: boolean; reason?: string }>();
  private readonly linkHandlers: Array<(message: unknown) => void> = [];
  private readonly pushes = new PushCalls();
  private drained?: (finished: boolean) => void;
  private stopped?: () => void;
  private stopping = false;
  /** False from a worker's death until its successor has been given the unsettled messages. */
  private live = false;
  private restartDelayMs = RESTART_DELAY_MS;
  private readonly log: Logger;

  readonly link: ChannelLink = {
    post: (message) => this.outbox.post({ type: 'link', message }),
    onMessage: (handler) => void this.linkHandlers.push(handler),
  };

  private constructor(private readonly options: WorkerHostOptions) {
    this.log = options.logger.child({ module: 'answer-worker' });
    this.maxInWorker = options.maxInWorker ?? Math.max(MIN_IN_WORKER, IN_WORKER_PER_SLOT * options.config.concurrency);
    this.backlog = new Backlog({
      inbox: options.inbox,
      logger: this.log,
      hasRoom: () => this.unsettled.size < this.maxInWorker && !this.draining,
      give: (job) => this.give(job),
    });
  }

  /**
   * Starts the worker and returns at once: messages given before it runs wait for it (the app
   * listens meanwhile, so nothing waits for the pipeline to load). `started` rejects (a
   * ConfigError included) if the worker cannot build the pipeline.
   */
  static start(options: WorkerHostOptions): AnswerWorkerHost {
    const answers = new AnswerWorkerHost(options);
    answers.started = answers.spawn().then(() => answers.goLive());
    // Handled by whoever awaits `started`; a failed start must not also be an unhandled rejection.
    answers.started.catch(() => undefined);
    // After the tuning's own 'online' listener; a thread that fails or ends first is `started`'s failure.
    const { worker } = answers;
    answers.online = new Promise((resolve) => {
      for (const event of ['online', 'error', 'exit']) worker.once(event, () => resolve());
    });
    return answers;
  }

  /** Resolves once the worker runs (its pipeline built). */
  started!: Promise<void>;

  /** Resolves once the worker's thread runs JavaScript (before it loads the pipeline), or fails to. */
  online!: Promise<void>;

  answer(job: Omit<AnswerJob, 'kind'>): void {
    this.awaitingConfirmation.delete(job.id);
    if (this.unsettled.size < this.maxInWorker && this.backlog.size === 0) this.give(job);
    else this.backlog.push({ id: job.id, receivedAt: job.receivedAt, replayed: job.replayed });
  }

  push(message: PushMessage, partsSent: number, onPart: (partsSent: number) => void): Promise<void> {
    return this.pushes.start((call) => this.outbox.post({ type: 'push', call, message, partsSent }), onPart);
  }

  confirm(id: string): void {
    if (this.awaitingConfirmation.delete(id)) this.options.inbox.markDone(id);
    else if (this.unsettled.has(id)) this.confirmedEarly.add(id);
  }

  redeliver(id: string): void {
    if (!this.awaitingConfirmation.delete(id)) return;
    const read = this.options.inbox.entry(id);
    if (read instanceof Promise)
      read.then(
        (entry) => this.deliverAgain(entry),
        (error: Error) => this.log.error({ id, err: error.message }, 'could not read an unconfirmed answer from the inbox'),
      );
    else this.deliverAgain(read);
  }

  private deliverAgain(entry: InboxEntry | undefined): void {
    if (!entry) return;
    this.log.info({ id: entry.id }, 'delivery not confirmed in time; the answer goes out again another way');
    this.answer(jobFromInbox(entry, true));
  }

  notify(job: Omit<NoticeJob, 'kind'>): void {
    this.outbox.post({ type: 'job', job: { kind: 'notice', ...job } });
  }

  get outstanding(): number {
    return this.unsettled.size + this.backlog.size;
  }

  /** Messages pending in the inbox: outstanding, and answered with the delivery left for the receiving half to confirm. */
  get pending(): number {
    return this.outstanding + this.awaitingConfirmation.size;
  }

  whenIdle(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    const finished = new Promise<boolean>((resolve) => {
      this.drained = resolve;
      // A worker that does not answer (dead, stuck) cannot hold up the shutdown.
      setTimeout(() => resolve(false), timeoutMs + 1000).unref();
    });
    this.outbox.post({ type: 'drain', timeoutMs });
    return finished;
  }

  ready(): Promise<{ ok: boolean; reason?: string }> {
    if (!this.live) return Promise.resolve({ ok: false, reason: 'the answer worker is starting' });
    return this.readyAsks.request((ask) => this.outbox.post({ type: 'ready?', ask }), {
      ms: READY_TIMEOUT_MS,
      answer: { ok: false, reason: 'the answer worker does not answer' },
    });
  }

  /** Lets the worker close its stores and connections, then ends it. */
  async stop(): Promise<void> {
    await this.started.catch(() => undefined);
    this.stopping = true;
    const stopped = new Promise<void>((resolve) => (this.stopped = resolve));
    this.outbox.post({ type: 'stop' });
    this.outbox.flush();
    const timer = setTimeout(() => this.stopped?.(), 5000);
    await stopped;
    clearTimeout(timer);
    await this.worker.terminate();
  }

  private spawn(): Promise<void> {
    const data: WorkerData = {
      config: this.options.config,
      cwd: this.options.cwd,
      assistants: this.options.assistants ?? [],
      asksWaiting: this.options.waitingBehind !== undefined,
    };
    const worker = startWorkerThread(this.options.entry, data, this.options.tuning);
    this.worker = worker;
    this.outbox = new Outbox((items) => worker.postMessage(items), 'tick');
    return new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (reports: FromWorker[]) => {
        for (const report of reports) {
          if (report.type === 'started') {
            started = true;
            resolve();
          } else if (report.type === 'failed') {
            reject(reviveError(report.error));
          } else {
            this.onReport(report);
          }
        }
      });
      worker.on('error', (error) => {
        if (!started) reject(error);
        else this.log.error({ err: error.stack ?? error.message }, 'answer worker failed');
      });
      worker.on('exit', (code) => {
        if (!started) return reject(new Error(`the answer worker exited with code ${code} while starting`));
        if (this.stopping) return this.stopped?.();
        this.live = false;
        this.pushes.failAll('the answer worker stopped');
        this.restart(code);
      });
    });
  }

  /** A dead worker: every message it held goes to a new one (each counted as one more attempt). */
  private restart(code: number): void {
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(MAX_RESTART_DELAY_MS, delay * 2);
    this.options.metrics?.count('weworktop_worker_restarts_total');
    this.log.error(
      { code, unsettled: this.unsettled.size, restart_in_ms: delay },
      'answer worker stopped unexpectedly; starting a new one, unsettled messages go to it',
    );
    setTimeout(() => {
      if (this.stopping) return;
      this.spawn().then(
        () => {
          this.restartDelayMs = RESTART_DELAY_MS;
          for (const job of this.unsettled.values()) job.attempts += 1;
          this.goLive();
        },
        (error: Error) => {
          this.log.error({ err: error.message }, 'answer worker could not be started again');
          this.restart(-1);
        },
      );
    }, delay).unref();
  }

  /** The worker runs: it is given every message that waited for it, in the order they came. */
  private goLive(): void {
    this.live = true;
    for (const job of this.unsettled.values()) this.outbox.post({ type: 'job', job });
  }

  private give(job: Omit<AnswerJob, 'kind'>): void {
    const answer: AnswerJob = {
      kind: 'answer',
      id: job.id,
      sessionKey: job.sessionKey,
      rawJson: job.rawJson,
      receivedAt: job.receivedAt,
      attempts: job.attempts,
      replayed: job.replayed,
      ...(job.outcomeJson === undefined ? {} : { outcomeJson: job.outcomeJson, partsSent: job.partsSent ?? 0 }),
    };
    this.unsettled.set(job.id, answer);
    // While a new worker starts, the message waits with the others it will be given.
    if (this.live) this.outbox.post({ type: 'job', job: answer });
  }

  private onReport(report: Exclude<FromWorker, { type: 'started' | 'failed' }>): void {
    const { inbox, logSink } = this.options;
    switch (report.type) {
      case 'log':
        logSink.write(report.line);
        return;
      case 'metrics':
        this.options.metrics?.apply(report.batch);
        return;
      case 'forget':
        inbox.forget(report.sessionKey).then(
          () => this.outbox.post({ type: 'forgotten' }),
          (error: Error) =>
            this.log.error(
              { err: error.message },
              "the inbox could not erase a cleared conversation's texts (they go with the settled rows, 15 minutes after)",
            ),
        );
        return;
      case 'settled':
        if (report.failed !== undefined) inbox.markFailed(report.id, report.failed);
        else if (report.confirmedBy !== 'receiver' || this.confirmedEarly.has(report.id)) inbox.markDone(report.id);
        else this.awaitingConfirmation.add(report.id);
        this.confirmedEarly.delete(report.id);
        if (!this.unsettled.delete(report.id)) this.backlog.settledWhileWaiting(report.id);
        this.backlog.topUp();
        if (this.outstanding === 0) for (const wake of this.idleWaiters.splice(0)) wake();
        return;
      case 'attempt':
        inbox.recordAttempt(report.id);
        return;
      case 'waiting?': {
        const { ask } = report;
        (this.options.waitingBehind?.(report.sessionKey, report.id) ?? Promise.resolve([])).then(
          (entries) => this.outbox.post({ type: 'waiting', ask, jobs: entries.map(jobFromSharedInbox) }),
          (error: Error) => {
            // The burst is answered without what could not be read; that waits for its own turn.
            this.log.debug({ session: report.sessionKey, err: error.message }, 'waiting messages not read');
            this.outbox.post({ type: 'waiting', ask, jobs: [] });
          },
        );
        return;
      }
      case 'store': {
        const id = report.id;
        // The job keeps its answer too: a worker that dies is handed the job again with it.
        const job = this.unsettled.get(id);
        if (job) this.unsettled.set(id, { ...job, outcomeJson: report.outcomeJson, partsSent: 0 });
        inbox.saveOutcome(id, report.outcomeJson).then(
          () => this.outbox.post({ type: 'stored', id }),
          (error: Error) => this.outbox.post({ type: 'stored', id, error: error.message }),
        );
        return;
      }
      case 'progress': {
        inbox.recordProgress(report.id, report.partsSent);
        const job = this.unsettled.get(report.id);
        if (job) job.partsSent = report.partsSent;
        return;
      }
      case 'link':
        for (const handler of this.linkHandlers) handler(report.message);
        return;
      case 'ready':
        this.readyAsks.answered(report.ask, { ok: report.ok, ...(report.reason ? { reason: report.reason } : {}) });
        return;
      case 'drained':
        this.drained?.(report.finished);
        return;
      case 'stopped':
        this.stopped?.();
        return;
      case 'push-progress':
        this.pushes.progress(report.call, report.partsSent);
        return;
      case 'pushed':
        this.pushes.done(report.call, report.failure);
        return;
    }
  }
}

/**
 * A worker on `entry`. Under tsx (tests, `npm run bench` from source) the entry is TypeScript,
 * which a worker thread cannot load by itself on Node 20: it is imported through tsx's API.
 */
function startWorkerThread(entry: URL, workerData: WorkerData, tuning: RuntimeTuning): Worker {
  const options = { workerData };
  if (!fileURLToPath(entry).endsWith('.ts')) return online(new Worker(entry, options), tuning);
  // Resolved only here: a production install (npm ci --omit=dev) has no tsx.
  const source = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ tsImport }) => tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(entry.href)}))`;
  return online(new Worker(source, { eval: true, ...options }), tuning);
}

/** Once the thread runs, the main thread's young generation is held again (memory-policy.ts). */
function online(worker: Worker, tuning: RuntimeTuning): Worker {
  worker.once('online', () => tuning.workerOnline());
  return worker;
}
