import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the WAL is folded back into the database file. */
const CHECKPOINT_EVERY_MS = 1000;

// Runs in a worker thread with its own connection: a checkpoint copies pages and fsyncs, which
// stalled single inserts on the event loop for up to 94 ms (bench/). PASSIVE never blocks writers.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} }, workerData.everyMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); process.exit(0); });
`;

/** Checkpoints `file`'s WAL off the main thread; the main connection's auto-checkpoint is turned off. */
export function startWalCheckpointer(file: string): { stop(): Promise<void> } {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file, everyMs: CHECKPOINT_EVERY_MS } });
  worker.unref();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
      }),
  };
}
