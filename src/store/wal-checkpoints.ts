import Database from 'better-sqlite3';

/** How often each WAL is folded back into its database file. */
const CHECKPOINT_EVERY_MS = 1000;

/**
 * Folds the WALs of `files` back into them on this thread, over connections of its own; the
 * writers' own auto-checkpoints are off. It runs on the answer worker, which mostly waits on the
 * LLM: a checkpoint copies pages and fsyncs, which stalls the acks on the main thread, and a
 * thread of its own costs an isolate for a timer (docs/performance.md). PASSIVE never blocks writers.
 */
export function checkpointWals(files: string[]): { stop(): void; wipe(): void } {
  // Memory stores only: no file, no timer.
  if (files.length === 0) return { stop: () => {}, wipe: () => {} };
  const dbs = files.map((file) => {
    const db = new Database(file);
    db.pragma('busy_timeout = 1000');
    // It only copies pages from the WAL to the file: SQLite's default 2 MB page cache buys it nothing.
    db.pragma('cache_size = -128');
    return db;
  });
  const timer = setInterval(() => {
    for (const db of dbs) {
      try {
        db.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // Busy or briefly unavailable: the next round folds in what this one left.
      }
    }
  }, CHECKPOINT_EVERY_MS);
  timer.unref();
  return {
    /**
     * Folds everything in and empties the WALs, whose old frames still hold what was just erased
     * (#清除记忆). TRUNCATE holds the writers back while it runs: for a rare command only.
     */
    wipe: () => {
      for (const db of dbs) {
        try {
          db.pragma('wal_checkpoint(TRUNCATE)');
        } catch {
          // Busy past the timeout: the next checkpoints fold it in, and the WAL's frames are reused.
        }
      }
    },
    stop: () => {
      clearInterval(timer);
      for (const db of dbs) db.close();
    },
  };
}
