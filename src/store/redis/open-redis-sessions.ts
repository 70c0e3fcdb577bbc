import type { Logger } from '../../logger.js';
import type { SessionStore } from '../session-persistence.js';
import { openRedis, type RedisConfig } from './redis-connection.js';
import { RedisSessions } from './redis-sessions.js';

/** The answer worker's conversations with store "redis": shared, over this thread's own connection. */
export function openRedisSessionStore(config: RedisConfig & { expires_in_seconds: number }, logger: Logger): SessionStore {
  const connection = openRedis(config, logger, 'conversations', { announce: false });
  return {
    sessions: new RedisSessions(connection, config.expires_in_seconds, logger),
    wipeWals: () => {},
    close: () => void connection.close(),
  };
}
