import type { MetricDefinition } from './metrics.js';
import { labelsOf } from './metrics.js';

interface Series {
  values: string[];
  /** Per bucket (not cumulative); the last is +Inf. */
  counts: number[];
  sum: number;
}

/**
 * A Prometheus histogram that takes both single observations (the main thread's) and the answer
 * worker's bucket counts, which prom-client's own Histogram cannot add. It offers the `get()`
 * prom-client's registry renders, so it sits in the registry beside prom-client's metrics.
 */
export class SummedHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: readonly number[];
  private readonly all = new Map<string, Series>();

  constructor(private readonly definition: MetricDefinition) {
    this.name = definition.name;
    this.help = definition.help;
    this.bounds = definition.buckets ?? [];
  }

  /** One observation; `values` are the series' label values in declared order. */
  observe(values: string[], value: number): void {
    this.series(values).observe(value);
  }

  /** One series, found once: its observations add up without a lookup (it is listed from now on, at 0). */
  series(values: string[]): { observe(value: number): void } {
    const series = this.seriesOf(values);
    return {
      observe: (value) => {
        series.counts[bucketIndex(this.bounds, value)]! += 1;
        series.sum += value;
      },
    };
  }

  /** Counts observed elsewhere (the answer worker), bucket by bucket. */
  add(values: string[], counts: readonly number[], sum: number): void {
    const series = this.seriesOf(values);
    counts.forEach((count, index) => {
      if (index < series.counts.length) series.counts[index]! += count;
    });
    series.sum += sum;
  }

  /** What prom-client's registry renders: cumulative buckets, sum and count per series. */
  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }>;
  }> {
    const values = [];
    for (const series of this.all.values()) {
      const labels = labelsOf(this.definition, series.values);
      let cumulative = 0;
      for (const [index, count] of series.counts.entries()) {
        cumulative += count;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...labels, le: index < this.bounds.length ? this.bounds[index]! : '+Inf' },
          value: cumulative,
        });
      }
      values.push(
        { metricName: `${this.name}_sum`, labels, value: series.sum },
        { metricName: `${this.name}_count`, labels, value: cumulative },
      );
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  private seriesOf(values: string[]): Series {
    const key = values.join('\u0001');
    let series = this.all.get(key);
    if (!series) {
      series = { values, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0 };
      this.all.set(key, series);
    }
    return series;
  }
}

/** The bucket a value falls in: the first bound at or above it, else +Inf (the last). */
export function bucketIndex(bounds: readonly number[], value: number): number {
  let index = 0;
  while (index < bounds.length && value > bounds[index]!) index++;
  return index;
}
