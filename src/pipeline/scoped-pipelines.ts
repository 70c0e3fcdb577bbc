import { assistantFor } from '../assistants/assistant.js';
import type { ReplyTarget } from '../channel.js';
import type { NormalizedMessage } from '../message.js';
import type { Outcome } from '../worker/outcome.js';
import type { AnswerOptions, MessageHandler } from './message-handler.js';
import type { Pipeline } from './pipeline.js';

/** The answer worker's handler: one pipeline per assistant (its bot, rules, media engines), chosen by the message's scope. */
export class ScopedPipelines implements MessageHandler {
  constructor(
    private readonly pipelines: ReadonlyArray<{ scope: string; pipeline: Pipeline }>,
    private readonly expire: () => void,
  ) {}

  private of(message: NormalizedMessage): Pipeline {
    return assistantFor(this.pipelines, message.scope).pipeline;
  }

  sessionKey(message: NormalizedMessage): string {
    return this.of(message).sessionKey(message);
  }

  wouldAnswer(message: NormalizedMessage): boolean {
    return this.of(message).wouldAnswer(message);
  }

  answer(message: NormalizedMessage, target: ReplyTarget, options?: AnswerOptions): Promise<Outcome> {
    return this.of(message).answer(message, target, options);
  }

  /** The conversations are one store for all assistants: swept once. */
  expireConversations(): void {
    this.expire();
  }
}
