import { Redis } from 'ioredis';
import { ConfigError } from '../../config/config-error.js';
import type { CoreConfig } from '../../config/schema.js';
import { learnSecret } from '../../learned-secrets.js';
import type { Logger } from '../../logger.js';
import { StoreUnavailableError } from '../store-unavailable.js';

export type RedisConfig = Pick<CoreConfig, 'redis_url' | 'redis_prefix' | 'lease_seconds'>;

/** One thread's connection to the shared Redis (store "redis"), and whether it answers now. */
export interface RedisConnection {
  readonly redis: Redis;
  readonly prefix: string;
  /** True while connected: a command sent now gets an answer (for /readyz and the 503s). */
  available(): boolean;
  /** Rejects with StoreUnavailableError while Redis is down (the callback gets a 503, WeCom retries). */
  whenAvailable(): void;
  close(): Promise<void>;
}

/** Reconnection waits grow to this, so a Redis that comes back is found within a second or two. */
const MAX_RECONNECT_DELAY_MS = 2000;

/**
 * Opens a connection for this thread. Commands fail at once while Redis is down (no offline
 * queue: a callback is acknowledged only once its message is in Redis, so it must not wait in
 * memory), and the log says so once when it goes and once when it is back.
 */
export function openRedis(config: RedisConfig, logger: Logger, role: string): RedisConnection {
  if (!config.redis_url) throw new ConfigError('redis_url', 'a redis:// URL when store is "redis"', 'nothing');
  learnPassword(config.redis_url);
  const redis = new Redis(config.redis_url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
    connectionName: `weworktop-${role}`,
    retryStrategy: (times) => Math.min(times * 100, MAX_RECONNECT_DELAY_MS),
  });
  let down: string | undefined;
  redis.on('error', (error: Error) => {
    if (down !== undefined) return;
    down = error.message;
    logger.error({ err: error.message, role }, 'redis unavailable: callbacks get 503 until it is back');
  });
  redis.on('ready', () => {
    if (down === undefined) return;
    down = undefined;
    logger.info({ role }, 'redis is back: answering resumes');
  });
  const available = () => redis.status === 'ready';
  return {
    redis,
    prefix: config.redis_prefix,
    available,
    whenAvailable: () => {
      if (!available()) throw new StoreUnavailableError(`redis ${down ?? redis.status}`);
    },
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** The URL's password (and user) are redacted from every log line of this thread. */
function learnPassword(url: string): void {
  try {
    const parsed = new URL(url);
    for (const part of [parsed.password, parsed.username]) {
      if (!part) continue;
      learnSecret('redis', part);
      learnSecret('redis', decodeURIComponent(part));
    }
  } catch {
    throw new ConfigError('redis_url', 'a redis:// URL', 'a value that is not a URL');
  }
}
