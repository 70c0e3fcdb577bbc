// npm run bench: callback ack, URL verification, pipeline, token counting; a table on stdout and bench/results/latest.json.
import { fileURLToPath } from 'node:url';
import { runtimeTuning } from '../src/runtime/tuning.js';
import { runAckBench } from './ack-bench.js';
import { runMetricsCost } from './metrics-cost.js';
import { runPipelineBench } from './pipeline-bench.js';
import { type PushSettings, runPushBench } from './push-bench.js';
import { formatRedisBench, type RedisBenchSettings, runRedisBench } from './redis-bench.js';
import { type BenchReport, evaluateTargets, formatReport, machineInfo, writeReport } from './report.js';
import { runTokenBench } from './token-bench.js';
import { runWsBench, type WsBenchSettings } from './ws-bench.js';

// bench/results/ of the source tree, whether this runs from bench/ (tsx) or compiled from dist/bench/.
const RESULTS = fileURLToPath(new URL(import.meta.url.includes('/dist/bench/') ? '../../bench/results/' : './results/', import.meta.url));
// `npm run bench -- --cpu-prof`: the pipeline app's CPU profile goes to bench/results/ (open it in Chrome DevTools).
const cpuProfileDir = process.argv.includes('--cpu-prof') ? RESULTS : undefined;
const progress = (line: string) => console.error(line);

// The ack runs put the app on this thread. In its own process the app holds its young generation
// from start-up; held from here, so the load built before the first app does not grow it first.
// `RUNTIME_TUNING=false npm run bench`: every app of the run with Node's defaults.
runtimeTuning(process.env.RUNTIME_TUNING !== 'false').holdMainHeap();

// `npm run bench -- --metrics-cost`: the ack with metrics off and on, alternately (about 3 minutes), as JSON.
if (process.argv.includes('--metrics-cost')) {
  const { off, on } = await runMetricsCost({ connections: 100, warmupSeconds: 1, durationSeconds: 5, rounds: 9 }, progress);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const summary = (runs: typeof off) => ({
    requestsPerSec: runs.map((run) => Math.round(run.requestsPerSec)),
    p99Ms: runs.map((run) => Math.round(run.latency.p99 * 10) / 10),
    cpuUsPerRequest: runs.map((run) => Math.round(run.cpuUsPerRequest * 10) / 10),
    median: {
      requestsPerSec: Math.round(median(runs.map((run) => run.requestsPerSec))),
      p99Ms: median(runs.map((run) => run.latency.p99)),
      cpuUsPerRequest: median(runs.map((run) => run.cpuUsPerRequest)),
    },
  });
  console.log(JSON.stringify({ off: summary(off), on: summary(on) }, null, 2));
  process.exit(0);
}

const pushSettings: PushSettings = { connections: 100, warmupSeconds: 1, durationSeconds: 5, rounds: 3 };
// `npm run bench -- --push-only`: the push API's accept beside the callback ack (about 45 s), as JSON, nothing written.
if (process.argv.includes('--push-only')) {
  const push = await runPushBench(pushSettings, progress);
  const figures = (run: typeof push.push) => ({
    requestsPerSec: Math.round(run.requestsPerSec),
    p99Ms: run.latency.p99,
    non2xx: run.non2xx,
  });
  console.log(
    JSON.stringify(
      { push: figures(push.push), ack: figures(push.ack), pushRates: push.pushRates, ackRates: push.ackRates, logLines: push.logLines },
      null,
      2,
    ),
  );
  process.exit(0);
}

const started = performance.now();
const at = new Date().toISOString();
const wsSettings: WsBenchSettings = {
  users: 1000,
  messagesPerUser: 2,
  llmLatencyMs: 50,
  concurrency: 256,
  pacedPerSec: 20,
  pacedMessages: 400,
};
// `npm run bench -- --ws-only`: the AI bot's long connection alone (about half a minute), its figures as JSON, nothing written.
if (process.argv.includes('--ws-only')) {
  const ws = await runWsBench(wsSettings, progress);
  console.log(
    JSON.stringify(
      {
        answeredPerSec: Math.round(ws.burst.answeredPerSec),
        burstFirstFrameMs: ws.burst.firstFrameDelayMs,
        pacedFirstFrameMs: ws.paced.firstFrameDelayMs,
        pacedEndToEndMs: ws.paced.endToEndMs,
        check: ws.check,
        logLines: ws.logLines,
        firstLogLines: ws.firstLogLines,
      },
      null,
      2,
    ),
  );
  process.exit(ws.check.ok ? 0 : 1);
}
const redisSettings: RedisBenchSettings = {
  instances: [1, 2, 3],
  users: 300,
  messagesPerUser: 4,
  llmLatencyMs: 50,
  concurrency: 8,
  senders: 48,
  ackPerSec: 200,
  ackMessages: 1000,
};
// `npm run bench -- --redis-only`: several processes on one Redis (about a minute), its figures as JSON, nothing written.
if (process.argv.includes('--redis-only')) {
  const redis = await runRedisBench(redisSettings, progress);
  console.error(formatRedisBench(redis).join('\n'));
  console.log(JSON.stringify(redis, null, 2));
  process.exit(0);
}
// The pipeline first: its app process starts on an idle machine.
progress('pipeline...');
const pipeline = await runPipelineBench(
  {
    users: 1000,
    messagesPerUser: 10,
    paced: [
      { name: 'light', share: 0.1, messagesPerUser: 1 },
      { name: 'busy', share: 0.5, messagesPerUser: 3 },
    ],
    llmLatencyMs: 50,
    concurrency: 256,
    senders: 64,
  },
  progress,
  cpuProfileDir,
);
// `npm run bench -- --pipeline-only`: the pipeline alone (about a minute), its figures as JSON, nothing written.
if (process.argv.includes('--pipeline-only')) {
  const { burst, paced, rss, check } = pipeline;
  console.log(
    JSON.stringify(
      {
        burstPerSec: Math.round(burst.messagesPerSec),
        framework: paced.map((run) => ({ run: run.name, ...run.framework })),
        rss,
        answeredOnce: `${check.answeredOnce}/${check.messages}`,
      },
      null,
      2,
    ),
  );
  process.exit(check.ok ? 0 : 1);
}
progress('AI bot long connection...');
const ws = await runWsBench(wsSettings, progress);
progress('callback ack and URL verification...');
const ack = await runAckBench({ connections: [1, 10, 100], warmupSeconds: 1, durationSeconds: 5, rounds: 5 }, progress);
progress('push API...');
const push = await runPushBench(pushSettings, progress);
progress('several processes on one redis...');
const redis = await runRedisBench(redisSettings, progress);
progress('tokens...');
const tokens = runTokenBench({ model: 'gpt-4o-mini', historyTokens: 4000, budget: 2500 });

const report: BenchReport = {
  at,
  machine: machineInfo(),
  ack,
  pipeline,
  ws,
  push,
  tokens,
  redis,
  targets: evaluateTargets(ack, pipeline, ws),
  seconds: (performance.now() - started) / 1000,
};
writeReport(report, `${RESULTS}latest.json`);
console.log(formatReport(report));
console.log(['', ...formatRedisBench(redis)].join('\n'));
console.log(`\nresults: bench/results/latest.json`);
if (!pipeline.check.ok) {
  console.error(
    `\nFAIL: not every message got exactly one reply (${pipeline.check.missing} missing, ${pipeline.check.duplicated} duplicated, ${pipeline.check.unexpected} unexpected, ${pipeline.check.dropped} dropped, ${pipeline.check.ackFailures} failed acks)`,
  );
}
if (!ws.check.ok)
  console.error(
    `\nFAIL: not every AI bot message got exactly one finished stream (${ws.check.missing} missing, ${ws.check.duplicated} duplicated, ${ws.check.proactive} proactive)`,
  );
// Answers held back by the "LLM thinking" runs may still be settling; the results are written.
process.exit(pipeline.check.ok && ws.check.ok ? 0 : 1);
