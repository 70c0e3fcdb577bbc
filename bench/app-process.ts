// The app alone in a child process (pipeline benchmark): its RSS is then the app's, not the load generator's or the fakes'.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startBenchApp } from './bench-app.js';
import { type Percentiles, percentiles } from './stats.js';

/** `stats` reports the event-loop delay since the last `stats` (one figure per run). */
export type AppProcessRequest = { type: 'stats' } | { type: 'stop' };
export type AppProcessReport = { type: 'ready'; url: string; rss: number } | ({ type: 'stats' } & AppStats);

export interface AppStats {
  rss: number;
  peakRss: number;
  loopDelayMs: { p99: number; max: number };
  logLines: number;
  firstLogLines: string[];
  /** Each answer's framework_ms since the last stats (the app's own measure, needs log_level "info"). */
  frameworkMs: Percentiles;
}

/** Often enough to catch the peak of a run of a few seconds; a sample costs microseconds. */
const SAMPLE_MS = 20;

const send = (report: AppProcessReport) => process.send?.(report);
// The benchmark ended (or died): nothing is left running.
process.once('disconnect', () => process.exit(0));
const running = await startBenchApp(JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>);
let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), SAMPLE_MS);
// A stalled event loop (GC, synchronous disk writes, a long burst of callbacks) delays every message at once.
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
send({ type: 'ready', url: running.url, rss: peakRss });

process.on('message', (request: AppProcessRequest) => {
  if (request.type === 'stats') {
    const rss = process.memoryUsage.rss();
    const loopDelayMs = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
    loopDelay.reset();
    send({
      type: 'stats',
      rss,
      peakRss: Math.max(peakRss, rss),
      loopDelayMs,
      logLines: running.logs.count,
      firstLogLines: running.logs.first,
      frameworkMs: percentiles(running.logs.takeFrameworkMs()),
    });
  } else {
    clearInterval(sampler);
    void running.stop().finally(() => process.exit(0));
  }
});
