import { startBareFastify } from './bare-fastify.js';
import { benchConfig, CALLBACK_PATH, startBenchApp } from './bench-app.js';
import { FakeCloud } from './fake-cloud-client.js';
import { freshTextCallback, RequestPool, verificationRequest } from './callback-requests.js';
import { runLoad, type LoadResult } from './load.js';

export interface AckSettings {
  connections: number[];
  warmupSeconds: number;
  durationSeconds: number;
}

export interface AckRow {
  connections: number;
  bare: LoadResult;
  /** The app while the fake LLM answers at once: every acked message is also answered during the run. */
  app: LoadResult;
  /** app requests/s ÷ bare requests/s. */
  ratio: number;
  /** Answers the app sent (message/send at the fake WeCom) per second while it acked, warm-up included. */
  answeredPerSec?: number;
  /** The app while the LLM has not answered yet: the ack path alone, as when real answers take seconds. */
  appLlmWaiting?: LoadResult;
  ratioLlmWaiting?: number;
  /** The same with inbox_store and session_store "memory": what durability costs the ack. */
  appLlmWaitingMemory?: LoadResult;
  ratioLlmWaitingMemory?: number;
  /** Distinct messages the run needed beyond the pre-built pool (built during the run). */
  builtDuringRun?: number;
}

export interface AckBenchResult {
  settings: AckSettings;
  post: AckRow[];
  get: AckRow[];
  /** Warn and error lines the apps logged while measured (a run that triggers warnings measures something else). */
  logLines: number;
  firstLogLines: string[];
}

/** Distinct messages are about 1 KB each; past the pool, requests are built during the run (and counted). */
const MAX_POOL = 40_000;

/**
 * The callback's ack under load, against the ceiling (a bare fastify route) at each connection
 * count: POST message callbacks (each a new MsgId from a new user, on a fresh app so every run
 * starts from an empty store and queue) and GET URL verifications.
 */
export async function runAckBench(settings: AckSettings, progress: (line: string) => void): Promise<AckBenchResult> {
  // The cloud (fake WeCom and OpenAI) in a process of its own: its work is not the app's.
  const cloud = await FakeCloud.start();
  const bare = await startBareFastify(CALLBACK_PATH);
  const fakes = { wecomUrl: cloud.wecomUrl, openaiUrl: cloud.openaiUrl };
  // Every acked message is kept (no "busy" replies), and stopping an app does not wait for its backlog.
  const config = benchConfig(fakes, { max_queue: 1_000_000, shutdown_timeout: 0 });
  const memoryConfig = benchConfig(fakes, { max_queue: 1_000_000, shutdown_timeout: 0, inbox_store: 'memory', session_store: 'memory' });
  const result: AckBenchResult = { settings, post: [], get: [], logLines: 0, firstLogLines: [] };
  const verifier = await startBenchApp(config);
  const noteLogs = (logs: { count: number; first: string[] }) => {
    result.logLines += logs.count;
    result.firstLogLines.push(...logs.first.slice(0, 3 - result.firstLogLines.length));
  };
  const seconds = settings.warmupSeconds + settings.durationSeconds;
  try {
    const reused = new RequestPool(freshTextCallback, true);
    const fresh = new RequestPool(freshTextCallback, false);
    const checks = new RequestPool(verificationRequest, true);
    for (const connections of settings.connections) {
      const load = (url: string, pool: RequestPool) => runLoad({ ...settings, url, connections, next: () => pool.next() });
      /** A run on a fresh app (empty store and queue); resolves with the load and the answers it sent meanwhile. */
      const onFreshApp = async (pool: RequestPool, appConfig = config) => {
        const app = await startBenchApp(appConfig);
        try {
          const run = await load(app.url, pool);
          return { run, answered: await cloud.reset() };
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
          return (await onFreshApp(fresh, appConfig)).run;
        } finally {
          await cloud.releaseAnswers();
        }
      };

      reused.fill(2000);
      const bareRun = await load(bare.url, reused);
      reused.release();
      // Sized from the ceiling, which the app does not reach.
      const poolSize = Math.min(MAX_POOL, Math.ceil(bareRun.requestsPerSec * seconds * 1.1));
      fresh.fill(poolSize);
      const { run: appRun, answered } = await onFreshApp(fresh);
      let builtDuringRun = fresh.builtDuringRun;
      fresh.fill(poolSize);
      const waitingRun = await whileThinking(config);
      builtDuringRun += fresh.builtDuringRun;
      fresh.fill(poolSize);
      const memoryRun = await whileThinking(memoryConfig);
      builtDuringRun += fresh.builtDuringRun;
      fresh.release();
      result.post.push({
        connections,
        bare: bareRun,
        app: appRun,
        ratio: appRun.requestsPerSec / bareRun.requestsPerSec,
        answeredPerSec: answered / seconds,
        appLlmWaiting: waitingRun,
        ratioLlmWaiting: waitingRun.requestsPerSec / bareRun.requestsPerSec,
        appLlmWaitingMemory: memoryRun,
        ratioLlmWaitingMemory: memoryRun.requestsPerSec / bareRun.requestsPerSec,
        builtDuringRun,
      });
      progress(`  POST, ${connections} connections: ${rate(appRun)} req/s with the LLM answering (${Math.round(answered / seconds)} answers/s), ${rate(waitingRun)} while it thinks (bare fastify ${rate(bareRun)})`);

      checks.fill(2000);
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

const rate = (run: LoadResult) => Math.round(run.requestsPerSec);
