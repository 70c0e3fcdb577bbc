import { benchConfig, startBenchApp } from './bench-app.js';
import { freshTextCallback, type PooledRequest, RequestPool } from './callback-requests.js';
import { FakeCloud } from './fake-cloud-client.js';
import { type LoadResult, runLoad } from './load.js';

export interface PushSettings {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Rounds, each a push run and a callback ack run on fresh apps; medians are kept. */
  rounds: number;
}

export interface PushBenchResult {
  settings: PushSettings;
  /** POST /api/messages answered 202 (stored in SQLite before the answer). */
  push: LoadResult;
  /** The callback ack of the same rounds, same config: the reference. */
  ack: LoadResult;
  /** Every round's push req/s and ack req/s. */
  pushRates: number[];
  ackRates: number[];
  logLines: number;
}

const API_TOKEN = 'bench-push-token-0001';
/** Distinct recipients, so the sender is not one paced queue (WeCom's 30 a minute per user). */
const USERS = 1000;

/**
 * The push API's accept under load: each POST a text to one of 1000 users, answered 202 once
 * stored; the sender sends them to the fake WeCom meanwhile. Beside it, the callback ack on the
 * same config, alternating on fresh apps (this machine drifts between runs).
 */
export async function runPushBench(settings: PushSettings, progress: (line: string) => void): Promise<PushBenchResult> {
  const cloud = await FakeCloud.start();
  const config = benchConfig(
    { wecomUrl: cloud.wecomUrl, openaiUrl: cloud.openaiUrl },
    { max_queue: 10_000_000, shutdown_timeout: 0, api_token: API_TOKEN },
  );
  const seconds = settings.warmupSeconds + settings.durationSeconds;
  const callbacks = new RequestPool(freshTextCallback, false);
  await callbacks.fill(Math.ceil(20_000 * seconds));
  let pushes = 0;
  const nextPush = (): PooledRequest => ({
    method: 'POST',
    path: '/api/messages',
    body: Buffer.from(JSON.stringify({ to: { user: `bench-user-${pushes++ % USERS}` }, text: 'nightly backup done: 2.1 GB in 4 min' })),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
  });
  const result = { settings, pushRuns: [] as LoadResult[], ackRuns: [] as LoadResult[], logLines: 0 };
  try {
    for (let round = 0; round < settings.rounds; round++) {
      for (const kind of ['push', 'ack'] as const) {
        const app = await startBenchApp(config);
        try {
          callbacks.rewind();
          const run = await runLoad({ ...settings, url: app.url, next: kind === 'push' ? nextPush : () => callbacks.next() });
          (kind === 'push' ? result.pushRuns : result.ackRuns).push(run);
        } finally {
          result.logLines += app.logs.count;
          await app.stop();
          await cloud.reset();
        }
      }
      progress(
        `  push round ${round + 1}/${settings.rounds}: ${Math.round(result.pushRuns.at(-1)!.requestsPerSec)} pushes/s accepted (callback ack ${Math.round(result.ackRuns.at(-1)!.requestsPerSec)} req/s)`,
      );
    }
  } finally {
    callbacks.release();
    await cloud.close();
  }
  return {
    settings,
    push: medianRun(result.pushRuns),
    ack: medianRun(result.ackRuns),
    pushRates: result.pushRuns.map((run) => Math.round(run.requestsPerSec)),
    ackRates: result.ackRuns.map((run) => Math.round(run.requestsPerSec)),
    logLines: result.logLines,
  };
}

const medianRun = (runs: LoadResult[]) => [...runs].sort((a, b) => a.requestsPerSec - b.requestsPerSec)[Math.floor(runs.length / 2)]!;
