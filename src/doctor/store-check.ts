import path from 'node:path';
import type { CoreConfig } from '../config/schema.js';
import { INBOX_CONTENTS, SESSIONS_CONTENTS } from '../store/open-stores.js';
import { INBOX_DB, openInboxDatabase, openSessionsDatabase, SESSIONS_DB } from '../store/sqlite-database.js';
import { openingStore, prepareDataDir } from '../store/store-open-errors.js';
import { type DoctorCheck, fail, pass } from './doctor-check.js';

/**
 * data_dir can be written and the stores open, as start-up opens them (a running app's files are
 * fine to open too: SQLite's WAL lets readers and a writer share them).
 */
export function storeCheck(config: Pick<CoreConfig, 'data_dir' | 'inbox_store' | 'session_store'>, cwd: string): DoctorCheck {
  return {
    name: 'data_dir',
    async run() {
      const files = [...(config.inbox_store === 'sqlite' ? [INBOX_DB] : []), ...(config.session_store === 'sqlite' ? [SESSIONS_DB] : [])];
      if (files.length === 0) return pass('inbox_store and session_store are "memory": nothing is kept on disk');
      const dataDir = path.resolve(cwd, config.data_dir);
      try {
        prepareDataDir(config.data_dir, dataDir);
        if (config.inbox_store === 'sqlite')
          openingStore(path.join(dataDir, INBOX_DB), config.data_dir, INBOX_CONTENTS, () => openInboxDatabase(dataDir)).close();
        if (config.session_store === 'sqlite')
          openingStore(path.join(dataDir, SESSIONS_DB), config.data_dir, SESSIONS_CONTENTS, () => openSessionsDatabase(dataDir)).close();
      } catch (error) {
        const message = (error as Error).message;
        const [found, fix] = splitFix(message);
        return fail(found, fix);
      }
      return pass(`${dataDir} is writable; ${files.join(' and ')} open`);
    },
  };
}

/** The store errors (store-open-errors.ts) end with the way out: found and fix apart. */
function splitFix(message: string): [string, string] {
  const way = /[:;] ((?:fix that or|move it aside|check that) .*)$/.exec(message);
  return way ? [message.slice(0, way.index), way[1]!] : [message, 'check data_dir and its files'];
}
