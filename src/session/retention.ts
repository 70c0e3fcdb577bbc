import type { CoreConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How long an idle conversation is kept: expires_in_seconds, or retention_days if that is
 * shorter (0 for either: no bound from it).
 */
export function conversationTtlSeconds(config: Pick<CoreConfig, 'expires_in_seconds' | 'retention_days'>): number {
  const bounds = [config.expires_in_seconds, (config.retention_days * DAY_MS) / 1000].filter((seconds) => seconds > 0);
  return bounds.length > 0 ? Math.min(...bounds) : 0;
}

/**
 * retention_days: conversations idle longer are deleted at start and then once a day, also when no
 * message comes to sweep them on the way (the store sweeps as it is used, too).
 */
export function scheduleRetention(days: number, expire: () => void, logger: Logger): { stop(): void } {
  if (days <= 0) return { stop: () => {} };
  const run = () => {
    expire();
    logger.info({ retention_days: days }, 'retention: conversations idle longer were deleted');
  };
  run();
  const timer = setInterval(run, DAY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
