import { getHeapStatistics } from 'node:v8';
import { labelValues, type MetricDefinition, type MetricLabels, type Metrics, type MetricsBatch } from './metrics.js';
import { bucketIndex } from './summed-histogram.js';

/** How often the answer worker sends what it recorded: a scrape sees it at most this late. */
export const BATCH_EVERY_MS = 1000;

/**
 * The answer worker's metrics: its own isolate cannot reach the main thread's registry, so what
 * it records is summed here by series and sent over as one batch a second (worker-protocol's
 * outbox), never a message per event.
 */
export class WorkerMetrics implements Metrics {
  readonly enabled = true;
  private readonly definitions: Map<string, MetricDefinition>;
  private counts = new Map<string, [string, string[], number]>();
  private gauges = new Map<string, [string, string[], number]>();
  private histograms = new Map<string, [string, string[], number[], number]>();

  constructor(definitions: readonly MetricDefinition[]) {
    this.definitions = new Map(definitions.map((definition) => [definition.name, definition]));
  }

  count(name: string, labels?: MetricLabels, by = 1): void {
    const values = this.values(name, 'counter', labels);
    const key = seriesKey(name, values);
    const entry = this.counts.get(key);
    if (entry) entry[2] += by;
    else this.counts.set(key, [name, values, by]);
  }

  counter(name: string, labels?: MetricLabels): { inc(by?: number): void } {
    return { inc: (by = 1) => this.count(name, labels, by) };
  }

  set(name: string, value: number, labels?: MetricLabels): void {
    const values = this.values(name, 'gauge', labels);
    this.gauges.set(seriesKey(name, values), [name, values, value]);
  }

  observe(name: string, value: number, labels?: MetricLabels): void {
    const values = this.values(name, 'histogram', labels);
    const key = seriesKey(name, values);
    const bounds = this.definitions.get(name)!.buckets ?? [];
    let entry = this.histograms.get(key);
    if (!entry) {
      entry = [name, values, new Array<number>(bounds.length + 1).fill(0), 0];
      this.histograms.set(key, entry);
    }
    entry[2][bucketIndex(bounds, value)]! += 1;
    entry[3] += value;
  }

  /** What was recorded since the last call (undefined if nothing), and a fresh start. */
  take(): MetricsBatch | undefined {
    if (this.counts.size + this.gauges.size + this.histograms.size === 0) return undefined;
    const batch: MetricsBatch = {
      counts: [...this.counts.values()],
      gauges: [...this.gauges.values()],
      histograms: [...this.histograms.values()],
    };
    this.counts = new Map();
    this.gauges = new Map();
    this.histograms = new Map();
    return batch;
  }

  private values(name: string, type: MetricDefinition['type'], labels: MetricLabels | undefined): string[] {
    const definition = this.definitions.get(name);
    if (definition?.type !== type)
      throw new Error(`metric ${name} is not a declared ${type} (src/metrics/core-metrics.ts, or the channel's metrics)`);
    return labelValues(definition, labels);
  }
}

/**
 * Sends the worker's batch every BATCH_EVERY_MS, with its heap in use; `stop` sends what is left
 * (before the thread ends).
 */
export function sendMetricsBatches(metrics: WorkerMetrics, post: (batch: MetricsBatch) => void): { stop(): void } {
  const send = () => {
    metrics.set('weworktop_worker_heap_used_bytes', getHeapStatistics().used_heap_size);
    const batch = metrics.take();
    if (batch) post(batch);
  };
  const timer = setInterval(send, BATCH_EVERY_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      send();
    },
  };
}

const seriesKey = (name: string, values: string[]) => `${name}\u0000${values.join('\u0001')}`;
