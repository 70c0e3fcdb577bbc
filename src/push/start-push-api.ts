import type { FastifyInstance } from 'fastify';
import type { ChannelModule } from '../channel.js';
import type { AppConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { OutboundQueue } from '../store/outbound-queue.js';
import type { PushDispatch } from '../worker/push-calls.js';
import type { PushMessage } from './push-message.js';
import { addPushRoutes } from './push-routes.js';
import { PushService } from './push-service.js';

/** Backoff of a push while WeCom is down stops growing here; a push is given up a day after it was queued. */
const MAX_RETRY_DELAY_MS = 5 * 60 * 1000;
const GIVE_UP_AFTER_MS = 24 * 60 * 60 * 1000;
/** Targets sent to at once (a target held by WeCom's pace waits in its slot, so there are several). */
const PUSH_CONCURRENCY = 16;

/** With api_token set: the push API's routes on the app's server, and its sender (started once the answer worker runs). */
export function startPushApi(options: {
  config: AppConfig;
  channel: ChannelModule;
  server: FastifyInstance;
  queue: OutboundQueue;
  dispatch: PushDispatch;
  logger: Logger;
  metrics: Metrics;
}): PushService | undefined {
  const { config, channel } = options;
  if (!config.api_token) return undefined;
  const service = new PushService({
    queue: options.queue,
    dispatch: options.dispatch,
    check: (message) =>
      channel.checkPush ? channel.checkPush(config, message) : { field: 'to', reason: `channel ${config.channel_type} cannot send pushes` },
    ...(channel.pushSender ? { withSender: (message: PushMessage) => channel.pushSender!(config, message) } : {}),
    ...(options.queue.shared && channel.pushPool ? { poolOf: (message: PushMessage) => channel.pushPool!(config, message) } : {}),
    retry: {
      baseDelayMs: config.retry_delay_ms,
      maxDelayMs: MAX_RETRY_DELAY_MS,
      maxAttempts: Number.POSITIVE_INFINITY,
      maxAgeMs: GIVE_UP_AFTER_MS,
    },
    concurrency: PUSH_CONCURRENCY,
    logger: options.logger,
    metrics: options.metrics,
  });
  addPushRoutes(options.server, { token: config.api_token, service, logger: options.logger });
  options.logger.info('push API on: POST /api/messages (api_token)');
  return service;
}
