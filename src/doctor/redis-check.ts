import { Redis } from 'ioredis';
import type { CoreConfig } from '../config/schema.js';
import { type DoctorCheck, fail, pass } from './doctor-check.js';

/**
 * With store "redis": the server answers, and keeps what it acknowledged (AOF on: the no-loss
 * promise rests on it, docs/scaling.md). A managed Redis that hides CONFIG passes with a note.
 */
export function redisCheck(config: Pick<CoreConfig, 'redis_url' | 'redis_prefix'>, timeoutMs: number): DoctorCheck {
  return {
    name: 'redis',
    async run() {
      if (!config.redis_url)
        return fail('store is "redis" but redis_url is empty', 'set redis_url (or REDIS_URL) to redis://[:password@]host:port/db');
      const redis = new Redis(config.redis_url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        connectTimeout: timeoutMs,
        retryStrategy: () => null,
      });
      redis.on('error', () => undefined);
      try {
        await redis.connect();
        await redis.ping();
        const aof = await redis.config('GET', 'appendonly').then(
          (reply) => String((reply as string[])[1]),
          () => undefined,
        );
        if (aof === 'no')
          return fail(
            'redis answers, but its append-only file is off: a Redis restart loses every pending message',
            'set appendonly yes (and appendfsync everysec) in redis.conf, or CONFIG SET appendonly yes',
          );
        return pass(
          `redis answers (keys under "${config.redis_prefix}")${aof === undefined ? '; its persistence cannot be read here (CONFIG is off): it needs AOF on' : '; AOF on'}`,
        );
      } catch (error) {
        return fail(
          `redis at redis_url does not answer: ${(error as Error).message}`,
          'check redis_url (host, port, password) and that redis-server runs',
        );
      } finally {
        redis.disconnect();
      }
    },
  };
}
