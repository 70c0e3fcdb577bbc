import type { SqliteDatabase } from './sqlite-database.js';

interface QueuedWrite {
  run(): unknown;
  settle?: { resolve(value: unknown): void; reject(error: unknown): void };
}

/**
 * Group commit: the writes of one event-loop turn share one SQLite transaction, committed in the
 * turn's check phase (setImmediate). A commit writes its WAL frames once however many rows it
 * holds, so a burst of callbacks costs far less than a transaction each (docs/performance.md,
 * Group commit). A callback awaits `write` and acks only after the commit, so an ack
 * still means "on disk"; a failed commit rejects every write in it, and those callbacks are not acked.
 */
export class GroupCommit {
  private queued: QueuedWrite[] = [];
  private scheduled = false;
  private readonly housekeeping: Array<(writes: number) => void> = [];
  private readonly commit: (writes: QueuedWrite[]) => unknown[];

  constructor(
    db: SqliteDatabase,
    private readonly onDeferredError: (error: unknown) => void,
  ) {
    this.commit = db.transaction((writes: QueuedWrite[]) => {
      const results = writes.map((write) => write.run());
      for (const task of this.housekeeping) task(writes.length);
      return results;
    });
  }

  /** Runs `task(rows written)` inside every commit, after its writes: bounded clean-up that rides along. */
  afterEachCommit(task: (writes: number) => void): void {
    this.housekeeping.push(task);
  }

  /** Runs `run` in the next commit; resolves with its result once that commit is on disk. */
  write<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue({ run, settle: { resolve: resolve as (value: unknown) => void, reject } });
    });
  }

  /** Runs `run` in the next commit without waiting for it (a crash before the commit only repeats work). */
  defer(run: () => unknown): void {
    this.queue({ run });
  }

  /** Commits what is queued now: before a read that must see it, and on close. */
  flush(): void {
    if (this.queued.length === 0) return;
    const writes = this.queued;
    this.queued = [];
    let results: unknown[];
    try {
      results = this.commit(writes);
    } catch (error) {
      for (const write of writes) write.settle?.reject(error);
      if (writes.some((write) => !write.settle)) this.onDeferredError(error);
      return;
    }
    for (const [i, write] of writes.entries()) write.settle?.resolve(results[i]);
  }

  private queue(write: QueuedWrite): void {
    this.queued.push(write);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }
}
