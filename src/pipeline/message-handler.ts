import type { MessageRules, ReplyTarget } from '../channel.js';
import type { NormalizedMessage } from '../message.js';
import type { Reply } from '../reply.js';

export interface AnswerOptions {
  /** Streaming channels get the growing answer while the LLM writes it. */
  onPartial?: (textSoFar: string) => void;
  finalAttempt?: boolean;
  /** Filled in while answering: time waited on outside services. */
  timing?: AnswerTiming;
}

/** What the answer runner asks of the pipeline: the answer to one message, which the runner then delivers. */
export interface MessageHandler extends MessageRules {
  /**
   * The replies to one message, ready to go out (nothing is sent here). A failure that may pass
   * (the LLM down) is thrown so it is retried later, unless `finalAttempt`: then the replies say so.
   */
  answer(message: NormalizedMessage, target: ReplyTarget, options?: AnswerOptions): Promise<Outcome>;
}

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

/** The answer's clock as the pipeline sees it: calls to services outside the framework are timed. */
export interface AnswerTiming {
  /** Runs a call to an outside service (the LLM, speech, images, media downloads), counting its time as waited. */
  wait<T>(call: () => Promise<T>): Promise<T>;
}
