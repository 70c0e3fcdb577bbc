import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Logger } from '../../logger.js';
import { ExclusiveLeases } from './exclusive-leases.js';
import { openRedis, type RedisConfig, type RedisConnection } from './redis-connection.js';
import { RedisInbox } from './redis-inbox.js';
import { RedisOutbound } from './redis-outbound.js';
import { RedisTurns } from './redis-turns.js';
import { SessionLeases } from './session-leases.js';

/**
 * The main thread's side of `store: "redis"`: the shared inbox, the conversations' leases and the
 * exclusive names, and the push API's and the bridge's queue, on one connection.
 */
export interface SharedStore {
  inbox: RedisInbox;
  outbound: RedisOutbound;
  leases: SessionLeases;
  connection: RedisConnection;
  exclusive: ExclusiveLeases;
  turns: RedisTurns;
  close(): Promise<void>;
}

export function openSharedStore(config: RedisConfig, logger: Logger): SharedStore {
  const connection = openRedis(config, logger, 'inbox');
  // Unique per run: a restarted process does not inherit the leases of the one that died.
  const owner = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const leaseMs = config.lease_seconds * 1000;
  const turns = new RedisTurns(connection, owner, leaseMs);
  const exclusive = new ExclusiveLeases(connection, owner, leaseMs, logger);
  return {
    inbox: new RedisInbox(connection, owner, leaseMs, logger),
    outbound: new RedisOutbound(connection, owner, leaseMs, logger, () => exclusive.held()),
    leases: new SessionLeases(connection, owner, leaseMs),
    connection,
    exclusive,
    turns,
    close: () => {
      turns.close();
      return connection.close();
    },
  };
}
