import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricDefinition } from '../../../src/metrics/metrics.js';
import { MetricsRegistry } from '../../../src/metrics/metrics-registry.js';
import { WorkerMetrics } from '../../../src/metrics/worker-metrics.js';

const DEFINITIONS: MetricDefinition[] = [
  { name: 'weworktop_test_events_total', help: 'Events.', type: 'counter', labelNames: ['kind'] },
  { name: 'weworktop_test_depth', help: 'Depth.', type: 'gauge' },
  { name: 'weworktop_test_seconds', help: 'Time.', type: 'histogram', labelNames: ['part'], buckets: [0.1, 1] },
];

test('a thousand events make one batch entry per series, and the registry shows their sums', async () => {
  const worker = new WorkerMetrics(DEFINITIONS);
  for (let i = 0; i < 1000; i++) worker.count('weworktop_test_events_total', { kind: i % 2 ? 'odd' : 'even' });
  for (const seconds of [0.05, 0.5, 0.5, 3]) worker.observe('weworktop_test_seconds', seconds, { part: 'llm' });
  worker.set('weworktop_test_depth', 4);
  worker.set('weworktop_test_depth', 7);
  const batch = worker.take()!;
  assert.deepEqual(batch.counts, [
    ['weworktop_test_events_total', ['even'], 500],
    ['weworktop_test_events_total', ['odd'], 500],
  ]);
  assert.deepEqual(batch.gauges, [['weworktop_test_depth', [], 7]]);
  assert.deepEqual(batch.histograms, [['weworktop_test_seconds', ['llm'], [1, 2, 1], 4.05]]);
  assert.equal(worker.take(), undefined, 'nothing recorded since: nothing to send');

  const registry = new MetricsRegistry(DEFINITIONS);
  registry.apply(batch);
  registry.apply(batch);
  registry.observe('weworktop_test_seconds', 0.2, { part: 'llm' });
  const text = await registry.render();
  assert.match(text, /^weworktop_test_events_total\{kind="even"\} 1000$/m);
  assert.match(text, /^weworktop_test_depth 7$/m);
  assert.match(text, /^weworktop_test_seconds_bucket\{part="llm",le="0.1"\} 2$/m);
  assert.match(text, /^weworktop_test_seconds_bucket\{part="llm",le="1"\} 7$/m);
  assert.match(text, /^weworktop_test_seconds_bucket\{part="llm",le="\+Inf"\} 9$/m);
  assert.equal(Number(/^weworktop_test_seconds_sum\{part="llm"\} (\S+)$/m.exec(text)?.[1]).toFixed(2), '8.30');
  assert.match(text, /^weworktop_test_seconds_count\{part="llm"\} 9$/m);
  assert.match(text, /^# TYPE weworktop_test_seconds histogram$/m);
  assert.match(text, /^weworktop_process_resident_memory_bytes \d+$/m);
});

test('an undeclared metric is a programming error on the worker', () => {
  const worker = new WorkerMetrics(DEFINITIONS);
  assert.throws(() => worker.count('weworktop_nothing_total'), /not a declared counter/);
  assert.throws(() => worker.count('weworktop_test_depth'), /not a declared counter/);
});
