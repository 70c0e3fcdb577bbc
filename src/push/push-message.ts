/** Who a push goes to: an app's users, department or tag, an AI bot's chat, a group robot. */
export type PushTarget =
  | { user: string }
  | { users: string[] }
  | { party: string }
  | { tag: string }
  | { chat: string }
  | { webhook: string };

export type PushImage = { base64: string } | { url: string };

export type PushContent = { text: string } | { markdown: string } | { image: PushImage };

/** A message the push API (or `weworktop send`) asks the channel to send; stored as JSON until it is sent. */
export interface PushMessage {
  to: PushTarget;
  content: PushContent;
  /** Which app sends (targets user, users, party, tag); absent: the first. */
  agentId?: string;
  /** Which AI bot sends (target chat); absent: the first. */
  botId?: string;
}

/** A push target in one line, e.g. "user:alice" (order key, logs). */
export function describeTarget(to: PushTarget): string {
  const [kind, value] = Object.entries(to)[0] as [string, string | string[]];
  return `${kind}:${Array.isArray(value) ? value.join('|') : value}`;
}
