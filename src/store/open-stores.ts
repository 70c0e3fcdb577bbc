import path from 'node:path';
import type { CoreConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { GroupCommit } from './group-commit.js';
import type { Inbox } from './inbox.js';
import { MemoryInbox } from './memory-inbox.js';
import type { SessionPersistence } from './session-persistence.js';
import { INBOX_DB, openInboxDatabase, openSessionsDatabase, SESSIONS_DB } from './sqlite-database.js';
import { SqliteInbox } from './sqlite-inbox.js';
import { SqliteSessions } from './sqlite-sessions.js';
import { startWalCheckpointer } from './wal-checkpointer.js';

export interface InboxStore {
  inbox: Inbox;
  /** The database files, when any are open. */
  files: string[];
  close(): Promise<void>;
}

type StoreConfig = Pick<CoreConfig, 'inbox_store' | 'session_store' | 'data_dir'>;

const writeFailed = (logger: Logger, what: string) => (error: unknown) => logger.error({ err: (error as Error)?.message ?? String(error) }, `store write failed (${what} not saved)`);

/**
 * The main thread's store: the inbox (inbox_store). It also prepares the conversations' file
 * (session_store "sqlite"), which the answer worker then writes, and checkpoints both files' WALs.
 */
export function openInboxStore(config: StoreConfig, cwd: string, logger: Logger): InboxStore {
  const dataDir = path.resolve(cwd, config.data_dir);
  const files = [...(config.inbox_store === 'sqlite' ? [INBOX_DB] : []), ...(config.session_store === 'sqlite' ? [SESSIONS_DB] : [])].map((file) => path.join(dataDir, file));
  if (files.length === 0) return { inbox: new MemoryInbox(), files, close: async () => {} };
  if (config.session_store === 'sqlite') openSessionsDatabase(dataDir).close();
  let inbox: Inbox = new MemoryInbox();
  let close = () => {};
  if (config.inbox_store === 'sqlite') {
    const db = openInboxDatabase(dataDir);
    const writes = new GroupCommit(db, writeFailed(logger, 'settled marks'));
    inbox = new SqliteInbox(db, writes);
    close = () => {
      writes.flush();
      db.close();
    };
  }
  const checkpointer = startWalCheckpointer(files);
  return {
    inbox,
    files,
    close: async () => {
      close();
      await checkpointer.stop();
    },
  };
}

export interface SessionStore {
  /** Absent with session_store "memory". */
  sessions?: SessionPersistence;
  close(): void;
}

/** The answer worker's store: conversations (session_store "sqlite"), in a file of their own. */
export function openSessionStore(config: StoreConfig, cwd: string, logger: Logger): SessionStore {
  if (config.session_store !== 'sqlite') return { close: () => {} };
  const db = openSessionsDatabase(path.resolve(cwd, config.data_dir));
  const writes = new GroupCommit(db, writeFailed(logger, 'conversation turns'));
  return {
    sessions: new SqliteSessions(db, writes),
    close: () => {
      writes.flush();
      db.close();
    },
  };
}
