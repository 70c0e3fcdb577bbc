import type { Reply } from '../reply.js';

/**
 * What answering one message produced, before any of it went out. It is made once (the LLM asked
 * once), stored with the message, and then delivered; a failed or interrupted delivery resumes
 * from the stored outcome instead of asking again.
 */
export interface Outcome {
  /** Conversation key of the message (the reply's context). */
  sessionId: string;
  /** In the order they go out: decorated, past the plugins' send hook. */
  replies: Reply[];
  /** Messages of the same burst answered with this one (BurstMerging): settled with it. */
  covers?: string[];
  /** Why there is no reply, as a metric's label (not stored: a replayed outcome says "no_reply"). */
  ignored?: IgnoreReason;
}

/** Why a message got no reply. */
export type IgnoreReason =
  | 'group_not_allowed'
  | 'voice_off'
  | 'blacklisted'
  | 'not_triggered'
  | 'empty_after_prefix'
  | 'unsupported_kind'
  | 'event'
  | 'image'
  | 'plugin'
  | 'no_reply';

type StoredReply = Exclude<Reply, { data: Buffer }> | (Omit<Extract<Reply, { data: Buffer }>, 'data'> & { data: string });

/** As JSON text, binary data in Base64 (a Buffer's own JSON is an array of numbers). */
export function encodeOutcome(outcome: Outcome): string {
  const replies: StoredReply[] = outcome.replies.map((reply) =>
    'data' in reply ? { ...reply, data: reply.data.toString('base64') } : reply,
  );
  return JSON.stringify({ sessionId: outcome.sessionId, replies, ...(outcome.covers?.length ? { covers: outcome.covers } : {}) });
}

export function decodeOutcome(json: string): Outcome {
  const stored = JSON.parse(json) as { sessionId: string; replies: StoredReply[]; covers?: string[] };
  const replies = stored.replies.map((reply) =>
    'data' in reply ? { ...reply, data: Buffer.from(reply.data, 'base64') } : reply,
  ) as Reply[];
  return { sessionId: stored.sessionId, replies, ...(stored.covers ? { covers: stored.covers } : {}) };
}

/** A high-resolution wall clock, comparable across threads: the main thread stamps, the answer worker reads. */
export const wallClockMs = (): number => performance.timeOrigin + performance.now();

/**
 * Where one answer's time went, filled in by the pipeline: how long it waited on services outside
 * the framework (the LLM, speech, images, media downloads), and when the reply was handed to the
 * channel. What is left of the time since the callback arrived is the framework's own.
 */
export class AnswerTiming {
  waitedMs = 0;
  repliedAt: number | undefined;

  /** Runs a call to an outside service, counting its time as waited. */
  async wait<T>(call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      this.waitedMs += performance.now() - started;
    }
  }

  /** The first reply's hand-over to the channel (later parts of a long answer do not move it). */
  replied(): void {
    this.repliedAt ??= wallClockMs();
  }
}
