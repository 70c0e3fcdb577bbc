import type { MessageRules, ReplyTarget } from '../channel.js';
import type { NormalizedMessage } from '../message.js';
import { ConfiguredRules } from '../pipeline/cow-rules.js';
import type { AnswerOptions, MessageHandler, Outcome } from '../pipeline/message-handler.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { Assistant } from './assistant.js';

/** The assistant a message of this scope goes to: the longest declared scope that covers it, else the default (the first). */
export function assistantFor<T extends { scope: string }>(assistants: readonly T[], scope: string | undefined): T {
  let chosen = assistants[0]!;
  if (!scope) return chosen;
  for (const assistant of assistants) {
    const covers = assistant.scope !== '' && (scope === assistant.scope || scope.startsWith(`${assistant.scope}:`));
    if (covers && assistant.scope.length > chosen.scope.length) chosen = assistant;
  }
  return chosen;
}

/** The main thread's rules: one assistant's own, or the scoped choice between several configs. */
export function rulesByScope(assistants: readonly Assistant[]): MessageRules {
  const configs = new Set(assistants.map((assistant) => assistant.config));
  return configs.size === 1 ? new ConfiguredRules(assistants[0]!.config) : new ScopedRules(assistants);
}

/** The main thread's rules, one ConfiguredRules per assistant (trigger prefixes may differ), chosen by the message's scope. */
class ScopedRules implements MessageRules {
  private readonly byScope: Array<{ scope: string; rules: ConfiguredRules }>;

  constructor(assistants: readonly Assistant[]) {
    this.byScope = assistants.map((assistant) => ({ scope: assistant.scope, rules: new ConfiguredRules(assistant.config) }));
  }

  sessionKey(message: NormalizedMessage): string {
    return assistantFor(this.byScope, message.scope).rules.sessionKey(message);
  }

  wouldAnswer(message: NormalizedMessage): boolean {
    return assistantFor(this.byScope, message.scope).rules.wouldAnswer(message);
  }
}

/** What the answer worker holds: the handler, and the sweep of the conversations all assistants share. */
export type AssistantPipelines = MessageHandler & { expireConversations(): void };

/** The answer worker's handler: the one pipeline itself when every assistant shares it, else the scoped choice. */
export function pipelinesByScope(pipelines: ReadonlyArray<{ scope: string; pipeline: Pipeline }>, expire: () => void): AssistantPipelines {
  const distinct = new Set(pipelines.map((entry) => entry.pipeline));
  return distinct.size === 1 ? pipelines[0]!.pipeline : new ScopedPipelines(pipelines, expire);
}

/** The answer worker's handler: one pipeline per assistant (its bot, rules, media engines), chosen by the message's scope. */
class ScopedPipelines implements MessageHandler {
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
