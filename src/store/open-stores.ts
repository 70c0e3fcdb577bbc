import path from 'node:path';
import type { CoreConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { GroupCommit } from './group-commit.js';
import type { Inbox } from './inbox.js';
import { MemoryInbox } from './memory-inbox.js';
import { MemoryOutbound } from './memory-outbound.js';
import type { OutboundQueue } from './outbound-queue.js';
import type { RedisConfig } from './redis/redis-connection.js';
import type { SessionStore } from './session-persistence.js';
import { INBOX_DB, openInboxDatabase, openSessionsDatabase, SESSIONS_DB, type SqliteDatabase } from './sqlite-database.js';
import { SqliteInbox } from './sqlite-inbox.js';
import { SqliteOutbound } from './sqlite-outbound.js';
import { SqliteSessions } from './sqlite-sessions.js';
import { openingStore, prepareDataDir, type StoreContents } from './store-open-errors.js';
import { checkpointWals } from './wal-checkpoints.js';

export const INBOX_CONTENTS: StoreContents = { what: 'pending messages', table: 'inbox', where: (row) => row.status === 'pending' };
export const SESSIONS_CONTENTS: StoreContents = { what: 'conversations', table: 'sessions' };

export interface InboxStore {
  inbox: Inbox;
  /** Pushes and forwards waiting to go out (the push API, the bridge), in the inbox's file. */
  outbound: OutboundQueue;
  /** The database files, when any are open. */
  files: string[];
  close(): void;
}

type StoreConfig = Pick<CoreConfig, 'inbox_store' | 'session_store' | 'data_dir'>;
type SessionStoreConfig = StoreConfig & RedisConfig & Pick<CoreConfig, 'store' | 'expires_in_seconds'>;

/** A database's group commit, and a close that commits what is queued first. */
function withGroupCommit(db: SqliteDatabase, logger: Logger, what: string): { writes: GroupCommit; close(): void } {
  const writes = new GroupCommit(db, (error) =>
    logger.error({ err: (error as Error)?.message ?? String(error) }, `store write failed (${what} not saved)`),
  );
  return {
    writes,
    close: () => {
      writes.flush();
      db.close();
    },
  };
}

/** The database files the config asks for. */
function databaseFiles(config: StoreConfig, cwd: string): string[] {
  const dataDir = path.resolve(cwd, config.data_dir);
  return [...(config.inbox_store === 'sqlite' ? [INBOX_DB] : []), ...(config.session_store === 'sqlite' ? [SESSIONS_DB] : [])].map((file) =>
    path.join(dataDir, file),
  );
}

/**
 * The main thread's store: the inbox (inbox_store). It also prepares the conversations' file
 * (session_store "sqlite"), which the answer worker then writes.
 */
export function openInboxStore(config: StoreConfig, cwd: string, logger: Logger): InboxStore {
  const dataDir = path.resolve(cwd, config.data_dir);
  const files = databaseFiles(config, cwd);
  if (files.length > 0) prepareDataDir(config.data_dir, dataDir);
  if (config.session_store === 'sqlite')
    openingStore(path.join(dataDir, SESSIONS_DB), config.data_dir, SESSIONS_CONTENTS, () => openSessionsDatabase(dataDir)).close();
  if (config.inbox_store !== 'sqlite') return { inbox: new MemoryInbox(), outbound: new MemoryOutbound(), files, close: () => {} };
  const db = openingStore(path.join(dataDir, INBOX_DB), config.data_dir, INBOX_CONTENTS, () => checked(openInboxDatabase(dataDir)));
  const store = withGroupCommit(db, logger, 'settled marks');
  const outbound = new SqliteOutbound(db, store.writes);
  return {
    inbox: new SqliteInbox(db, store.writes),
    outbound,
    files,
    close: () => {
      outbound.close();
      store.close();
    },
  };
}

/**
 * The inbox read through once at start (it is small: pending and recently settled messages), so
 * that a damaged file stops start-up with the way out, not the first callback with a 500.
 */
function checked(db: SqliteDatabase): SqliteDatabase {
  const result = db.pragma('quick_check(1)', { simple: true });
  if (result === 'ok') return db;
  db.close();
  const problem = String(result)
    .replace(/\*\*\* in database \w+ \*\*\*/, '')
    .replace(/\s+/g, ' ')
    .trim();
  throw Object.assign(new Error(`database disk image is malformed: ${problem}`), { code: 'SQLITE_CORRUPT' });
}

/**
 * The answer worker's store: conversations (session_store "sqlite"), in a file of their own. It
 * also checkpoints both files' WALs (the inbox's over a connection of its own). With store
 * "redis", conversations are shared in Redis, over this thread's own connection.
 */
export async function openSessionStore(config: SessionStoreConfig, cwd: string, logger: Logger): Promise<SessionStore> {
  // Imported only for store "redis": ioredis costs this thread about 25 MB of RSS.
  if (config.store === 'redis') return (await import('./redis/open-redis-sessions.js')).openRedisSessionStore(config, logger);
  const checkpoints = checkpointWals(databaseFiles(config, cwd));
  if (config.session_store !== 'sqlite') return { wipeWals: checkpoints.wipe, close: checkpoints.stop };
  const db = openSessionsDatabase(path.resolve(cwd, config.data_dir));
  const store = withGroupCommit(db, logger, 'conversation turns');
  return {
    sessions: new SqliteSessions(db, store.writes),
    wipeWals: checkpoints.wipe,
    close: () => {
      checkpoints.stop();
      store.close();
    },
  };
}
