import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often each WAL is folded back into its database file. */
const CHECKPOINT_EVERY_MS = 1000;

// Runs in a worker thread with its own connections: a checkpoint copies pages and fsyncs, which
// stalled single inserts on the event loop for up to 94 ms (bench/). PASSIVE never blocks writers.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const dbs = workerData.files.map((file) => { const db = new Database(file); db.pragma('busy_timeout = 1000'); return db; });
const timer = setInterval(() => { for (const db of dbs) { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} } }, workerData.everyMs);
parentPort.on('message', () => { clearInterval(timer); for (const db of dbs) db.close(); process.exit(0); });
`;

/** Checkpoints the WALs of `files` off the event loops that write them; their own auto-checkpoints are off. */
export function startWalCheckpointer(files: string[]): { stop(): Promise<void> } {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, files, everyMs: CHECKPOINT_EVERY_MS } });
  worker.unref();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
      }),
  };
}
