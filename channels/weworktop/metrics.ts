import type { MetricDefinition } from '../../src/metrics/metrics.js';

/** The WeCom channel's metrics (docs/production.md); the core declares its own in src/metrics/core-metrics.ts. */
export const weworktopMetrics: readonly MetricDefinition[] = [
  {
    name: 'weworktop_wecom_api_calls_total',
    help: "WeCom API calls, by API (gettoken, message/send, media/upload, media/get) and errcode: 0 succeeded, -1 network, 5xx or not WeCom's JSON, others WeCom's.",
    type: 'counter',
    labelNames: ['api', 'errcode'],
  },
  {
    name: 'weworktop_wecom_sends_paced_total',
    help: "App messages held back to stay under WeCom's 30 per user per minute (which WeCom would drop silently).",
    type: 'counter',
  },
  { name: 'weworktop_wecom_send_delay_seconds_total', help: 'Seconds app messages were held back by that pacing.', type: 'counter' },
  // Set by an AI bot connection that has a state (a WebSocket subscription); the webhook route has none.
  {
    name: 'weworktop_aibot_connected',
    help: "1 while an AI bot's connection to WeCom is up, 0 while it is down, by bot id.",
    type: 'gauge',
    labelNames: ['bot'],
  },
];
