import { startBareFastify } from './bare-fastify.js';
import { benchConfig, CALLBACK_PATH, startBenchApp } from './bench-app.js';
import { freshTextCallback, RequestPool, verificationRequest } from './callback-requests.js';
import { FakeCloud } from './fake-cloud-client.js';
import { type LoadResult, runLoad } from './load.js';

export interface AckSettings {
  connections: number[];
  warmupSeconds: number;
  durationSeconds: number;
  /** Rounds at the highest connection count (the targets' row), each measuring bare fastify and every app variant once. */
  rounds: number;
}

export interface AckRow {
  connections: number;
  /** Rounds measured; with more than one, every figure below is the median run of its kind. */
  rounds: number;
  bare: LoadResult;
  /** The app while the fake LLM answers at once: it also answers the messages it acks, on its answer worker. */
  app: LoadResult;
  /** app requests/s ÷ bare requests/s (the median of the rounds' ratios). */
  ratio: number;
  /** Every round's ratio, to show the spread. */
  ratios: number[];
  /** Every round's p99 ack latency of the app (LLM answering), ms; the target takes their median. */
  p99s: number[];
  /** Answers the app sent (message/send at the fake WeCom) per second while it acked, warm-up included. */
  answeredPerSec: number;
  /** The app while the LLM has not answered yet: the ack path alone, as when real answers take seconds. */
  appLlmWaiting: LoadResult;
  ratioLlmWaiting: number;
  /** The same with inbox_store and session_store "memory": what durability costs the ack. */
  appLlmWaitingMemory: LoadResult;
  ratioLlmWaitingMemory: number;
  /** Distinct messages the runs needed beyond the pre-built pool (built during the run). */
  builtDuringRun: number;
}

export interface AckBenchResult {
  settings: AckSettings;
  post: AckRow[];
  get: Array<{ connections: number; bare: LoadResult; app: LoadResult; ratio: number }>;
  /** Warn and error lines the apps logged while measured (a run that triggers warnings measures something else). */
  logLines: number;
  firstLogLines: string[];
}

/** Distinct messages are about 1 KB each; past the pool, requests are built during the run (and counted). */
const MAX_POOL = 210_000;

/**
 * The callback's ack under load, against the ceiling (a bare fastify route) at each connection
 * count: POST message callbacks (each a new MsgId from a new user, on a fresh app so every run
 * starts from an empty store and queue) and GET URL verifications. This machine's speed drifts
 * by 20% or more from one run to the next, so the targets' row alternates bare and app runs over
 * several rounds and keeps the medians.
 */
export async function runAckBench(settings: AckSettings, progress: (line: string) => void): Promise<AckBenchResult> {
  // The cloud (fake WeCom and OpenAI) in a process of its own: its work is not the app's.
  const cloud = await FakeCloud.start();
  const bare = await startBareFastify(CALLBACK_PATH);
  const fakes = { wecomUrl: cloud.wecomUrl, openaiUrl: cloud.openaiUrl };
  // Every acked message is kept (no "busy" replies), and stopping an app does not wait for its backlog.
  const config = benchConfig(fakes, { max_queue: 10_000_000, shutdown_timeout: 0 });
  const memoryConfig = benchConfig(fakes, { max_queue: 10_000_000, shutdown_timeout: 0, inbox_store: 'memory', session_store: 'memory' });
  const result: AckBenchResult = { settings, post: [], get: [], logLines: 0, firstLogLines: [] };
  const verifier = await startBenchApp(config);
  const noteLogs = (logs: { count: number; first: string[] }) => {
    result.logLines += logs.count;
    result.firstLogLines.push(...logs.first.slice(0, 3 - result.firstLogLines.length));
  };
  const seconds = settings.warmupSeconds + settings.durationSeconds;
  // One pool of distinct messages per connection count, the same for every run of it: bare fastify
  // and each (fresh) app get the same requests with the same heap to carry.
  const messages = new RequestPool(freshTextCallback, false);
  const checks = new RequestPool(verificationRequest, true);
  try {
    for (const connections of settings.connections) {
      const load = (url: string, pool: RequestPool) => runLoad({ ...settings, url, connections, next: () => pool.next() });
      let builtDuringRun = 0;
      const run = async (url: string) => {
        messages.rewind();
        const result = await load(url, messages);
        builtDuringRun += messages.builtDuringRun;
        return result;
      };
      /** A run on a fresh app (empty store and queue); resolves with the load and the answers it sent meanwhile. */
      const onFreshApp = async (appConfig: Record<string, unknown>) => {
        const app = await startBenchApp(appConfig);
        try {
          const result = await run(app.url);
          return { run: result, answered: await cloud.reset() };
        } finally {
          // Before stop(): shutting down with a backlog logs warnings by design.
          noteLogs(app.logs);
          await app.stop();
          await cloud.reset();
        }
      };
      const whileThinking = async (appConfig: Record<string, unknown>) => {
        await cloud.holdAnswers();
        try {
          return (await onFreshApp(appConfig)).run;
        } finally {
          await cloud.releaseAnswers();
        }
      };

      // Enough for bare fastify, the fastest of the runs, at this connection count.
      await messages.fill(Math.min(MAX_POOL, Math.ceil((connections === 1 ? 30_000 : 35_000) * seconds)));
      const rounds = connections === Math.max(...settings.connections) ? settings.rounds : 1;
      const runs: Array<{ bare: LoadResult; app: LoadResult; answered: number; waiting: LoadResult; memory: LoadResult }> = [];
      for (let round = 0; round < rounds; round++) {
        const bareRun = await run(bare.url);
        const answering = await onFreshApp(config);
        runs.push({
          bare: bareRun,
          app: answering.run,
          answered: answering.answered,
          waiting: await whileThinking(config),
          memory: await whileThinking(memoryConfig),
        });
        if (rounds > 1)
          progress(
            `  POST, ${connections} connections, round ${round + 1}/${rounds}: ${rate(answering.run)} req/s (bare fastify ${rate(bareRun)})`,
          );
      }
      messages.release();
      const ratios = runs.map((run) => run.app.requestsPerSec / run.bare.requestsPerSec);
      const row: AckRow = {
        connections,
        rounds,
        bare: medianRun(runs.map((run) => run.bare)),
        app: medianRun(runs.map((run) => run.app)),
        ratio: median(ratios),
        ratios,
        p99s: runs.map((run) => run.app.latency.p99),
        answeredPerSec: median(runs.map((run) => run.answered)) / seconds,
        appLlmWaiting: medianRun(runs.map((run) => run.waiting)),
        ratioLlmWaiting: median(runs.map((run) => run.waiting.requestsPerSec / run.bare.requestsPerSec)),
        appLlmWaitingMemory: medianRun(runs.map((run) => run.memory)),
        ratioLlmWaitingMemory: median(runs.map((run) => run.memory.requestsPerSec / run.bare.requestsPerSec)),
        builtDuringRun,
      };
      result.post.push(row);
      progress(
        `  POST, ${connections} connections: ${rate(row.app)} req/s with the LLM answering (${Math.round(row.answeredPerSec)} answers/s), ${rate(row.appLlmWaiting)} while it thinks (bare fastify ${rate(row.bare)})`,
      );

      await checks.fill(2000);
      const bareGet = await load(bare.url, checks);
      const appGet = await load(verifier.url, checks);
      checks.release();
      result.get.push({ connections, bare: bareGet, app: appGet, ratio: appGet.requestsPerSec / bareGet.requestsPerSec });
      progress(`  GET,  ${connections} connections: ${rate(appGet)} req/s (bare fastify ${rate(bareGet)})`);
    }
    return result;
  } finally {
    noteLogs(verifier.logs);
    await verifier.stop();
    await bare.close();
    await cloud.close();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
/** The run with the median throughput (its latencies come with it). */
const medianRun = (runs: LoadResult[]) => [...runs].sort((a, b) => a.requestsPerSec - b.requestsPerSec)[Math.floor(runs.length / 2)]!;
const rate = (run: LoadResult) => Math.round(run.requestsPerSec);
