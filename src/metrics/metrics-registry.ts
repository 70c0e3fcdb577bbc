import { Counter, collectDefaultMetrics, Gauge, type Metric, Registry } from 'prom-client';
import { labelValues, type MetricDefinition, type MetricLabels, type Metrics, type MetricsBatch } from './metrics.js';
import { SummedHistogram } from './summed-histogram.js';

/**
 * The main thread's metrics (`metrics: true`): a prom-client registry holding every declared
 * metric, the main thread's records, the answer worker's batches, and the process's own figures
 * (memory, CPU, event loop lag) from prom-client's defaults, all prefixed `weworktop_`.
 */
export class MetricsRegistry implements Metrics {
  readonly enabled = true;
  private readonly registry = new Registry();
  private readonly counters = new Map<string, { definition: MetricDefinition; counter: Counter }>();
  private readonly gauges = new Map<string, { definition: MetricDefinition; gauge: Gauge }>();
  private readonly histograms = new Map<string, { definition: MetricDefinition; histogram: SummedHistogram }>();
  private readonly readers = new Map<string, () => number>();
  /** Counter series already looked up, by name and label values: prom-client hashes the labels on every call otherwise. */
  private readonly boundCounters = new Map<string, { inc(by?: number): void }>();

  constructor(definitions: readonly MetricDefinition[]) {
    collectDefaultMetrics({ register: this.registry, prefix: 'weworktop_' });
    for (const definition of definitions) this.declare(definition);
  }

  count(name: string, labels?: MetricLabels, by = 1): void {
    const key = labels ? `${name}\u0000${Object.values(labels).join('\u0001')}` : name;
    let series = this.boundCounters.get(key);
    if (!series) {
      series = this.counterSeries(name, labels ?? {});
      this.boundCounters.set(key, series);
    }
    series.inc(by);
  }

  set(name: string, value: number, labels?: MetricLabels): void {
    const entry = this.gauges.get(name) ?? undeclared(name);
    entry.gauge.labels(...labelValues(entry.definition, labels)).set(value);
  }

  observe(name: string, value: number, labels?: MetricLabels): void {
    const entry = this.histograms.get(name) ?? undeclared(name);
    entry.histogram.observe(labelValues(entry.definition, labels), value);
  }

  counter(name: string, labels?: MetricLabels): { inc(by?: number): void } {
    return this.counterSeries(name, labels ?? {});
  }

  /** One counter series, bound: for the request path, where the labels are looked up once. */
  counterSeries(name: string, labels: MetricLabels): { inc(by?: number): void } {
    const entry = this.counters.get(name) ?? undeclared(name);
    return entry.counter.labels(...labelValues(entry.definition, labels));
  }

  /** One histogram series, bound. */
  histogramSeries(name: string, labels: MetricLabels): { observe(value: number): void } {
    const entry = this.histograms.get(name) ?? undeclared(name);
    return entry.histogram.series(labelValues(entry.definition, labels));
  }

  /** A gauge read when Prometheus scrapes (e.g. the inbox's pending count), not set on every change. */
  sample(name: string, read: () => number): void {
    if (!this.gauges.has(name)) undeclared(name);
    this.readers.set(name, read);
  }

  /** What the answer worker recorded since its last batch. */
  apply(batch: MetricsBatch): void {
    for (const [name, values, by] of batch.counts)
      this.counters
        .get(name)
        ?.counter.labels(...values)
        .inc(by);
    for (const [name, values, value] of batch.gauges)
      this.gauges
        .get(name)
        ?.gauge.labels(...values)
        .set(value);
    for (const [name, values, buckets, sum] of batch.histograms) this.histograms.get(name)?.histogram.add(values, buckets, sum);
  }

  /** The Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private declare(definition: MetricDefinition): void {
    const common = {
      name: definition.name,
      help: definition.help,
      labelNames: [...(definition.labelNames ?? [])],
      registers: [this.registry],
    };
    if (definition.type === 'counter') {
      this.counters.set(definition.name, { definition, counter: new Counter(common) });
    } else if (definition.type === 'gauge') {
      const readers = this.readers;
      const gauge: Gauge = new Gauge({
        ...common,
        collect() {
          const read = readers.get(definition.name);
          if (read) gauge.set(read());
        },
      });
      this.gauges.set(definition.name, { definition, gauge });
    } else {
      const histogram = new SummedHistogram(definition);
      this.registry.registerMetric(histogram as unknown as Metric);
      this.histograms.set(definition.name, { definition, histogram });
    }
  }
}

function undeclared(name: string): never {
  throw new Error(`metric ${name} is not declared (src/metrics/core-metrics.ts, or the channel's metrics)`);
}
