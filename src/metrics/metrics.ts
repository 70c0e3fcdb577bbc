/** A metric as declared once: the core's in core-metrics.ts, a channel's in its module (ChannelModule.metrics). */
export interface MetricDefinition {
  /** Prefixed `weworktop_`. */
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  /** Bounded values only: a route's pattern, an errcode, a reason; never a user id. */
  labelNames?: readonly string[];
  /** Upper bounds in seconds (or bytes), for a histogram. */
  buckets?: readonly number[];
}

export type MetricLabels = Readonly<Record<string, string>>;

/**
 * Where code records what it does, on either thread. The main thread's records go to the
 * Prometheus registry at once; the answer worker's are summed there and sent over in batches
 * (WorkerMetrics). With `metrics: false` every call is a no-op (NO_METRICS).
 */
export interface Metrics {
  readonly enabled: boolean;
  count(name: string, labels?: MetricLabels, by?: number): void;
  /** One counter series, looked up once: for a path taken on every request. */
  counter(name: string, labels?: MetricLabels): { inc(by?: number): void };
  set(name: string, value: number, labels?: MetricLabels): void;
  observe(name: string, value: number, labels?: MetricLabels): void;
}

export const NO_METRICS: Metrics = { enabled: false, count() {}, counter: () => ({ inc() {} }), set() {}, observe() {} };

/**
 * What the answer worker recorded since its last batch, by series (a metric's name and its label
 * values in declared order): counter increments, gauge values, histogram bucket counts (the last
 * is +Inf) and sums.
 */
export interface MetricsBatch {
  counts: Array<[name: string, values: string[], by: number]>;
  gauges: Array<[name: string, values: string[], value: number]>;
  histograms: Array<[name: string, values: string[], buckets: number[], sum: number]>;
}

/** A series' label values in the order the metric declares its labels (a label not given is ""). */
export function labelValues(definition: MetricDefinition, labels: MetricLabels | undefined): string[] {
  return (definition.labelNames ?? []).map((name) => labels?.[name] ?? '');
}

/** The labels of a series back from its values. */
export function labelsOf(definition: MetricDefinition, values: readonly string[]): Record<string, string> {
  return Object.fromEntries((definition.labelNames ?? []).map((name, index) => [name, values[index] ?? '']));
}
