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
  /** Throws StoreUnavailableError while Redis is down (the callback gets a 503, WeCom retries). */
  whenAvailable(): void;
  /**
   * Runs `command`, and once more after Redis is back if it failed while Redis was down (waiting
   * up to `waitMs`): an answer under way waits out a short outage instead of counting a failure.
   * What still fails is transient (the message is retried later).
   */
  patiently<T>(command: () => Promise<T>, waitMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** How long an answer under way waits for Redis to come back before its step counts as failed. */
const OUTAGE_WAIT_MS = 30_000;

/** Reconnection waits grow to this, so a Redis that comes back is found within a second or two. */
const MAX_RECONNECT_DELAY_MS = 2000;

/**
 * Opens a connection for this thread. Commands fail at once while Redis is down (no offline
 * queue: a callback is acknowledged only once its message is in Redis, so it must not wait in
 * memory), and the log says so once when it goes and once when it is back.
 */
export function openRedis(config: RedisConfig, logger: Logger, role: string, options: { announce?: boolean } = {}): RedisConnection {
  // One line per outage: the main thread's connection says it; the worker's only at debug.
  const announce = options.announce ?? true;
  if (!config.redis_url) throw new ConfigError('redis_url', 'a redis:// URL when store is "redis"', 'nothing');
  learnPassword(config.redis_url);
  const redis = new Redis(config.redis_url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
    connectionName: `weworktop-${role}`,
    retryStrategy: (times) => Math.min(times * 100, MAX_RECONNECT_DELAY_MS),
  });
  let lastError: string | undefined;
  let down = false;
  redis.on('error', (error: Error) => {
    lastError = error.message;
  });
  redis.on('close', () => {
    if (down) return;
    down = true;
    const fields = { err: lastError ?? 'connection closed', role };
    if (announce) logger.error(fields, 'redis unavailable: callbacks get 503 until it is back');
    else logger.debug(fields, 'redis unavailable');
  });
  redis.on('ready', () => {
    lastError = undefined;
    if (!down) return;
    down = false;
    if (announce) logger.info({ role }, 'redis is back: answering resumes');
    else logger.debug({ role }, 'redis is back');
  });
  const available = () => redis.status === 'ready';
  return {
    redis,
    prefix: config.redis_prefix,
    available,
    whenAvailable: () => {
      if (!available()) throw new StoreUnavailableError(`redis ${lastError ?? redis.status}`);
    },
    patiently: async (command, waitMs = OUTAGE_WAIT_MS) => {
      try {
        return await command();
      } catch (error) {
        if (available()) throw transient(error);
        await untilReady(redis, waitMs);
        return await command().catch((again: unknown) => {
          throw transient(again);
        });
      }
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

function transient(error: unknown): Error {
  return Object.assign(error instanceof Error ? error : new Error(String(error)), { transient: true });
}

/** Resolves when the connection is ready again, or after `waitMs`. */
function untilReady(redis: Redis, waitMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    redis.once('ready', done);
  });
}
