import path from 'node:path';
import type { CoreConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { GroupCommit } from './group-commit.js';
import type { Inbox } from './inbox.js';
import { MemoryInbox } from './memory-inbox.js';
import type { SessionPersistence } from './session-persistence.js';
import { openDatabase } from './sqlite-database.js';
import { SqliteInbox } from './sqlite-inbox.js';
import { SqliteSessions } from './sqlite-sessions.js';
import { startWalCheckpointer } from './wal-checkpointer.js';

export interface Stores {
  inbox: Inbox;
  /** Absent with session_store "memory". */
  sessions?: SessionPersistence;
  /** The database file, when one is open. */
  path?: string;
  close(): Promise<void>;
}

/** Opens the embedded database once for what is configured to live in it (inbox_store, session_store). */
export function openStores(config: CoreConfig, cwd: string, logger: Logger): Stores {
  if (config.inbox_store === 'memory' && config.session_store === 'memory') return { inbox: new MemoryInbox(), close: async () => {} };
  const dataDir = path.resolve(cwd, config.data_dir);
  const db = openDatabase(dataDir);
  const file = path.join(dataDir, 'weworktop.db');
  db.pragma('wal_autocheckpoint = 0');
  const checkpointer = startWalCheckpointer(file);
  const writes = new GroupCommit(db, (error) => logger.error({ err: (error as Error)?.message ?? String(error) }, 'store write failed (settled marks or conversation turns not saved)'));
  return {
    inbox: config.inbox_store === 'sqlite' ? new SqliteInbox(db, writes) : new MemoryInbox(),
    ...(config.session_store === 'sqlite' ? { sessions: new SqliteSessions(db, writes) } : {}),
    path: file,
    close: async () => {
      writes.flush();
      await checkpointer.stop();
      if (db.open) db.close();
    },
  };
}
