import { setTimeout as sleep } from 'node:timers/promises';
import type { BurstMerging } from '../channel.js';
import type { NormalizedMessage } from '../message.js';
import { RecentKeys } from '../recent-keys.js';
import type { AnswerJob } from './answer-dispatch.js';
import { wallClockMs } from './worker-protocol.js';

/** However chatty the sender, the first message of a burst waits at most this many windows. */
const MAX_WAIT_WINDOWS = 4;
/** Messages waiting outside the worker (store "redis") are looked for this often while a burst is open. */
const LOOK_ELSEWHERE_MS = 200;
/** A burst's message settled from outside the worker is kept in mind this long, should it be given after all. */
const COVERED_ELSEWHERE = { ttlMs: 10 * 60 * 1000, maxEntries: 10_000 };

type Waiting = Omit<AnswerJob, 'kind'>;

/** The message to answer for a burst, and the ids it covers beside its own. */
export interface Burst {
  message: NormalizedMessage;
  covers: string[];
}

/**
 * The answer runner's view of bursts (BurstMerging): the jobs each conversation has queued and
 * not started, which of them an earlier answer covers, and the wait for a burst to end. With store
 * "redis" a conversation's later messages wait in Redis, not here: `waitingBehind` shows them.
 */
export class BurstCollector {
  private readonly queued = new Map<string, AnswerJob[]>();
  /** Covered by an earlier message's answer: settled with it, never answered alone. */
  private readonly covered = new Set<string>();
  /** With `waitingBehind`: covered messages that were never given to this worker. */
  private readonly coveredElsewhere: RecentKeys | undefined;

  constructor(
    private readonly merging: BurstMerging,
    private readonly revive: (job: Waiting) => NormalizedMessage | undefined,
    private readonly waitingBehind?: (sessionKey: string, id: string) => Promise<Waiting[]>,
  ) {
    this.coveredElsewhere = waitingBehind && new RecentKeys(COVERED_ELSEWHERE);
  }

  /** A job joins its conversation's queue. */
  queue(job: AnswerJob): void {
    const jobs = this.queued.get(job.sessionKey);
    if (jobs) jobs.push(job);
    else this.queued.set(job.sessionKey, [job]);
  }

  /** A job's turn came: true when an earlier answer covers it (it was settled with that answer). */
  starts(job: AnswerJob): boolean {
    this.remove(job.sessionKey, [job.id]);
    return this.covered.delete(job.id) || this.coveredElsewhere?.has(job.id) === true;
  }

  /** A stored answer names the messages it covers (a replay): they wait for it, not for their own. */
  adopt(sessionKey: string, covers: readonly string[]): void {
    for (const id of covers) this.covered.add(id);
    this.remove(sessionKey, covers);
  }

  /**
   * Waits until the conversation was quiet for the burst window (at most MAX_WAIT_WINDOWS from the
   * first message's arrival), then folds in the messages queued behind `first` that continue it.
   */
  async gather(first: NormalizedMessage, job: AnswerJob, signal: AbortSignal): Promise<Burst> {
    const windowMs = this.merging.windowMs(first);
    if (windowMs <= 0) return { message: first, covers: [] };
    const deadline = job.receivedAt + MAX_WAIT_WINDOWS * windowMs;
    let elsewhere: Waiting[] = [];
    for (;;) {
      if (this.waitingBehind) elsewhere = await this.waitingBehind(job.sessionKey, job.id);
      const behind = [...(this.queued.get(job.sessionKey) ?? []), ...elsewhere];
      const lastArrival = Math.max(job.receivedAt, ...behind.map((queued) => queued.receivedAt));
      const waitMs = Math.min(lastArrival + windowMs, deadline) - wallClockMs();
      if (waitMs <= 0 || signal.aborted) break;
      await sleep(this.waitingBehind ? Math.min(waitMs, LOOK_ELSEWHERE_MS) : waitMs, undefined, { signal }).catch(() => undefined);
    }
    if (signal.aborted) return { message: first, covers: [] };
    const burst = [first];
    const covers: string[] = [];
    const local = this.queued.get(job.sessionKey) ?? [];
    const here = new Set(local.map((queued) => queued.id));
    for (const next of [...local, ...elsewhere.filter((waiting) => !here.has(waiting.id))]) {
      // A message answered before (a replay) keeps its own answer.
      if (next.outcomeJson !== undefined) break;
      const message = this.revive(next);
      if (!message || !this.merging.continues(burst.at(-1)!, message)) break;
      burst.push(message);
      covers.push(next.id);
    }
    if (covers.length === 0) return { message: first, covers };
    for (const id of covers) if (!here.has(id)) this.coveredElsewhere?.checkAndAdd(id);
    this.adopt(
      job.sessionKey,
      covers.filter((id) => here.has(id)),
    );
    return { message: this.merging.merge(burst), covers };
  }

  private remove(sessionKey: string, ids: readonly string[]): void {
    const jobs = this.queued.get(sessionKey);
    if (!jobs) return;
    const left = jobs.filter((queued) => !ids.includes(queued.id));
    if (left.length > 0) this.queued.set(sessionKey, left);
    else this.queued.delete(sessionKey);
  }
}
