import { type Assistant, assistantFor } from '../assistants/assistant.js';
import type { MessageRules } from '../channel.js';
import type { NormalizedMessage } from '../message.js';
import { ConfiguredRules } from './message-rules.js';

/** The main thread's rules, one ConfiguredRules per assistant (trigger prefixes may differ), chosen by the message's scope. */
export class ScopedRules implements MessageRules {
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
