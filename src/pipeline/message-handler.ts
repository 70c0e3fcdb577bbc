import type { MessageRules, ReplyTarget } from '../channel.js';
import type { NormalizedMessage } from '../message.js';
import type { AnswerTiming, Outcome } from '../worker/answer.js';

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
