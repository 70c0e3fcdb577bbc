import PQueue from 'p-queue';

export interface KeyedWorkQueueOptions {
  /** Tasks running at once, across keys. */
  concurrency: number;
  /** Tasks waiting at most (running ones not counted); past it `enqueue` refuses. */
  maxWaiting: number;
  onError: (error: unknown, key: string) => void;
}

/**
 * A bounded worker pool where tasks of one key (a conversation) run one at a time in arrival
 * order, and different keys run in parallel. A key's next task joins the back of the shared
 * queue only when its previous one finished, so one chatty user never holds idle worker slots.
 */
export class KeyedWorkQueue {
  private readonly pool: PQueue;
  private readonly waiting = new Map<string, Array<() => Promise<void>>>();
  private readonly active = new Set<string>();
  private waitingCount = 0;

  constructor(private readonly options: KeyedWorkQueueOptions) {
    this.pool = new PQueue({ concurrency: options.concurrency });
  }

  /** Queues a task; false when the queue is full (the caller tells the user). `force` skips the bound (replays). */
  enqueue(key: string, task: () => Promise<void>, options: { force?: boolean } = {}): boolean {
    if (this.waitingCount >= this.options.maxWaiting && !options.force) return false;
    this.waitingCount += 1;
    const backlog = this.waiting.get(key);
    if (backlog) backlog.push(task);
    else this.waiting.set(key, [task]);
    if (!this.active.has(key)) this.schedule(key);
    return true;
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.waitingCount + this.pool.pending;
  }

  /** Resolves when every queued task has run. */
  async onIdle(): Promise<void> {
    while (this.waitingCount > 0 || this.pool.pending > 0 || this.pool.size > 0) await this.pool.onIdle();
  }

  private schedule(key: string): void {
    const backlog = this.waiting.get(key);
    const task = backlog?.shift();
    if (!task) {
      this.waiting.delete(key);
      this.active.delete(key);
      return;
    }
    this.active.add(key);
    void this.pool.add(async () => {
      this.waitingCount -= 1;
      try {
        await task();
      } catch (error) {
        this.options.onError(error, key);
      }
      this.schedule(key);
    });
  }
}
