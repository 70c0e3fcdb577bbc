import path from 'node:path';
import type { CoreConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { GroupCommit } from './group-commit.js';
import type { Inbox } from './inbox.js';
import { MemoryInbox } from './memory-inbox.js';
import type { SessionPersistence } from './session-persistence.js';
import { INBOX_DB, openInboxDatabase, openSessionsDatabase, SESSIONS_DB, type SqliteDatabase } from './sqlite-database.js';
import { SqliteInbox } from './sqlite-inbox.js';
import { SqliteSessions } from './sqlite-sessions.js';
import { checkpointWals } from './wal-checkpoints.js';

export interface InboxStore {
  inbox: Inbox;
  /** The database files, when any are open. */
  files: string[];
  close(): void;
}

type StoreConfig = Pick<CoreConfig, 'inbox_store' | 'session_store' | 'data_dir'>;

/** A database's group commit, and a close that commits what is queued first. */
function withGroupCommit(db: SqliteDatabase, logger: Logger, what: string): { writes: GroupCommit; close(): void } {
  const writes = new GroupCommit(db, (error) => logger.error({ err: (error as Error)?.message ?? String(error) }, `store write failed (${what} not saved)`));
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
  return [...(config.inbox_store === 'sqlite' ? [INBOX_DB] : []), ...(config.session_store === 'sqlite' ? [SESSIONS_DB] : [])].map((file) => path.join(dataDir, file));
}

/**
 * The main thread's store: the inbox (inbox_store). It also prepares the conversations' file
 * (session_store "sqlite"), which the answer worker then writes.
 */
export function openInboxStore(config: StoreConfig, cwd: string, logger: Logger): InboxStore {
  const dataDir = path.resolve(cwd, config.data_dir);
  const files = databaseFiles(config, cwd);
  if (config.session_store === 'sqlite') openSessionsDatabase(dataDir).close();
  if (config.inbox_store !== 'sqlite') return { inbox: new MemoryInbox(), files, close: () => {} };
  const db = openInboxDatabase(dataDir);
  const store = withGroupCommit(db, logger, 'settled marks');
  return { inbox: new SqliteInbox(db, store.writes), files, close: store.close };
}

export interface SessionStore {
  /** Absent with session_store "memory". */
  sessions?: SessionPersistence;
  close(): void;
}

/**
 * The answer worker's store: conversations (session_store "sqlite"), in a file of their own. It
 * also checkpoints both files' WALs (the inbox's over a connection of its own).
 */
export function openSessionStore(config: StoreConfig, cwd: string, logger: Logger): SessionStore {
  const checkpoints = checkpointWals(databaseFiles(config, cwd));
  if (config.session_store !== 'sqlite') return { close: checkpoints.stop };
  const db = openSessionsDatabase(path.resolve(cwd, config.data_dir));
  const store = withGroupCommit(db, logger, 'conversation turns');
  return {
    sessions: new SqliteSessions(db, store.writes),
    close: () => {
      checkpoints.stop();
      store.close();
    },
  };
}
