import type { ChannelLink } from '../channel.js';
import type { InboxEntry } from '../store/inbox.js';

/** A stored message for the answer worker: enough to rebuild it there (its channel's raw payload). */
export interface AnswerJob {
  kind: 'answer';
  id: string;
  sessionKey: string;
  /** NormalizedMessage.raw as JSON text (a string crosses threads for the price of a copy). */
  rawJson: string;
  /** When the callback was taken in (ms since the epoch, to the microsecond for new messages: the answer's timing starts here). */
  receivedAt: number;
  /** Failed attempts so far (a replayed message keeps its count). */
  attempts: number;
  /** Received by an earlier run of the app (replayed from the inbox after a restart). */
  replayed: boolean;
  /** The answer, when it was made before (stored Outcome): only its delivery is left. */
  outcomeJson?: string;
  /** Parts of that answer already sent. */
  partsSent?: number;
}

/** A stored message as a job: with its answer, when one was made before, so only the delivery is left. */
export function jobFromInbox(entry: InboxEntry, replayed: boolean): Omit<AnswerJob, 'kind'> {
  return {
    id: entry.id,
    sessionKey: entry.sessionKey,
    rawJson: entry.rawJson,
    receivedAt: entry.receivedAt,
    attempts: entry.attempts,
    replayed,
    ...(entry.outcomeJson === undefined ? {} : { outcomeJson: entry.outcomeJson, partsSent: entry.partsSent }),
  };
}

/** A message read back from a shared inbox (store "redis"): replayed if it was tried or answered before, maybe by another process. */
export const jobFromSharedInbox = (entry: InboxEntry): Omit<AnswerJob, 'kind'> =>
  jobFromInbox(entry, entry.attempts > 0 || entry.outcomeJson !== undefined);

/** A short text for whoever sent `raw`, in that conversation's order: a welcome, a "busy" notice. */
export interface NoticeJob {
  kind: 'notice';
  sessionKey: string;
  raw: unknown;
  text: string;
}

export type Job = AnswerJob | NoticeJob;

/**
 * The main thread's handle on the answer worker, where the pipeline runs. It settles what it was
 * given in the inbox (done, failed, attempts) as the worker reports back.
 */
export interface AnswerDispatch {
  answer(job: Omit<AnswerJob, 'kind'>): void;
  notify(job: Omit<NoticeJob, 'kind'>): void;
  /** Messages given and not settled yet. */
  readonly outstanding: number;
  /** Resolves when every message given so far is settled. */
  whenIdle(): Promise<void>;
  /**
   * Shutdown: messages not started stay pending (for the next start), retry waits end, running
   * ones get up to `timeoutMs`. Resolves true when everything running finished.
   */
  drain(timeoutMs: number): Promise<boolean>;
  /**
   * The receiving half saw the answer reach the user (WeCom fetched the finished stream): the
   * message, handed over with delivery left to confirm, is done.
   */
  confirm(id: string): void;
  /** An answer whose delivery was not confirmed in time goes out again another way (the message is replayed). */
  redeliver(id: string): void;
  /** The replier's readiness (e.g. access tokens), for /readyz. */
  ready(): Promise<{ ok: boolean; reason?: string }>;
  /** The channel's own messages to and from its replier. */
  readonly link: ChannelLink;
}
