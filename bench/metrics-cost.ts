import { benchConfig, startBenchApp } from './bench-app.js';
import { freshTextCallback, RequestPool } from './callback-requests.js';
import { FakeCloud } from './fake-cloud-client.js';
import { type LoadResult, runLoad } from './load.js';

export interface MetricsCostSettings {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Pairs of runs, metrics off then on (the order alternates), each on a fresh app. */
  rounds: number;
}

/**
 * One run, with the process's CPU time per request (process.cpuUsage: time on a CPU, not time
 * waiting for one, so it holds when other processes load the host; autocannon's share included).
 */
export interface MetricsCostRun extends LoadResult {
  cpuUsPerRequest: number;
}

export interface MetricsCostResult {
  settings: MetricsCostSettings;
  off: MetricsCostRun[];
  on: MetricsCostRun[];
}

/**
 * The cost of `metrics: true` on the ack path: the callback ack at 100 connections while the LLM
 * thinks (the ack path alone, as when real answers take seconds), metrics off and on alternately
 * on fresh apps, with /metrics scraped every second (Prometheus' default is 15 s). Throughput
 * follows the host's load; CPU time per request is the steadier figure.
 */
export async function runMetricsCost(settings: MetricsCostSettings, progress: (line: string) => void): Promise<MetricsCostResult> {
  const cloud = await FakeCloud.start();
  const fakes = { wecomUrl: cloud.wecomUrl, openaiUrl: cloud.openaiUrl };
  const messages = new RequestPool(freshTextCallback, false);
  const result: MetricsCostResult = { settings, off: [], on: [] };
  try {
    await messages.fill(Math.ceil(35_000 * (settings.warmupSeconds + settings.durationSeconds)));
    const run = async (metrics: boolean) => {
      const app = await startBenchApp(benchConfig(fakes, { max_queue: 10_000_000, shutdown_timeout: 0, metrics }));
      const scraper = metrics ? setInterval(() => void fetch(`${app.url}/metrics`).then((response) => response.text()), 1000) : undefined;
      try {
        messages.rewind();
        let sent = 0;
        await cloud.holdAnswers();
        const before = process.cpuUsage();
        const load = await runLoad({
          ...settings,
          url: app.url,
          next: () => {
            sent++;
            return messages.next();
          },
        });
        const cpu = process.cpuUsage(before);
        return { ...load, cpuUsPerRequest: (cpu.user + cpu.system) / sent };
      } finally {
        clearInterval(scraper);
        await cloud.releaseAnswers();
        await app.stop();
        await cloud.reset();
      }
    };
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? [false, true] : [true, false];
      for (const metrics of order) {
        const load = await run(metrics);
        (metrics ? result.on : result.off).push(load);
        progress(
          `  round ${round + 1}/${settings.rounds}, metrics ${metrics ? 'on ' : 'off'}: ${Math.round(load.requestsPerSec)} req/s, p99 ${load.latency.p99} ms, CPU ${load.cpuUsPerRequest.toFixed(1)} µs/request`,
        );
      }
    }
    return result;
  } finally {
    messages.release();
    await cloud.close();
  }
}
