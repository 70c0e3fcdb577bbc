import type { MetricDefinition } from './metrics.js';

/** An ack takes well under a millisecond when the CPU is free; WeCom gives up after 5 s. */
const ACK_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** An LLM answers in seconds, a slow one in minutes (request_timeout defaults to 120 s). */
const ANSWER_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];
/** The framework's own share of an answer: milliseconds (the bench's target is p99 ≤ 5 ms). */
const FRAMEWORK_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/** The core's metrics; docs/production.md explains each. Process memory and CPU come from prom-client's defaults. */
export const CORE_METRICS: readonly MetricDefinition[] = [
  {
    name: 'weworktop_http_requests_total',
    help: 'HTTP requests answered, by route pattern ("unmatched" for unknown paths), method and status.',
    type: 'counter',
    labelNames: ['route', 'method', 'status'],
  },
  {
    name: 'weworktop_callback_ack_seconds',
    help: 'Time from a callback request to its answer (the ack), by route; /healthz, /readyz and /metrics are left out.',
    type: 'histogram',
    labelNames: ['route'],
    buckets: ACK_BUCKETS,
  },
  {
    name: 'weworktop_messages_received_total',
    help: 'Messages handed to the intake, by result: accepted, duplicate (a platform retry), busy (max_queue), limited (rate_limit_per_minute).',
    type: 'counter',
    labelNames: ['result'],
  },
  {
    name: 'weworktop_inbox_pending',
    help: 'Messages acknowledged and not settled yet: being answered, waiting their turn, or waiting for the platform to fetch the answer.',
    type: 'gauge',
  },
  {
    name: 'weworktop_answers_total',
    help: 'Messages settled, by outcome (answered, ignored, given_up) and reason (why ignored or given up).',
    type: 'counter',
    labelNames: ['outcome', 'reason'],
  },
  {
    name: 'weworktop_answer_seconds',
    help: 'First-try answers: from the callback taken in to the reply handed to the platform.',
    type: 'histogram',
    buckets: ANSWER_BUCKETS,
  },
  {
    name: 'weworktop_answer_llm_wait_seconds',
    help: 'First-try answers: the part spent waiting on the LLM (and speech, images, media downloads).',
    type: 'histogram',
    buckets: ANSWER_BUCKETS,
  },
  {
    name: 'weworktop_answer_framework_seconds',
    help: "First-try answers: the rest, weworktop's own time (queueing included).",
    type: 'histogram',
    buckets: FRAMEWORK_BUCKETS,
  },
  {
    name: 'weworktop_llm_errors_total',
    help: 'Failed LLM chat calls, by kind: auth, not_found, rate_limited, bad_request, server_error, timeout, unreachable, dropped, not_openai, other.',
    type: 'counter',
    labelNames: ['kind'],
  },
  {
    name: 'weworktop_outbound_total',
    help: 'Pushes (POST /api/messages) and forwards (forward.url) by result: sent, failed (refused, or given up), retried (a try that met an outage).',
    type: 'counter',
    labelNames: ['kind', 'result'],
  },
  { name: 'weworktop_push_pending', help: 'Pushes accepted (202) and not yet sent or given up.', type: 'gauge' },
  { name: 'weworktop_forward_pending', help: 'Received messages waiting to be forwarded to forward.url.', type: 'gauge' },
  { name: 'weworktop_worker_restarts_total', help: 'Times the answer worker died and was started again.', type: 'counter' },
  {
    name: 'weworktop_worker_heap_used_bytes',
    help: "The answer worker's V8 heap in use (the process_* and nodejs_* metrics are the main thread's and the process's).",
    type: 'gauge',
  },
];
