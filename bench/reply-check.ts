export interface ReplyCheck {
  messages: number;
  answeredOnce: number;
  missing: number;
  duplicated: number;
  /** Sends that answer no benchmark message (busy or rate-limit notices, apologies). */
  unexpected: number;
  /** Sends the fake WeCom dropped (over 30 per user per minute). */
  dropped: number;
  ackFailures: number;
  examples: string[];
  ok: boolean;
}

/** Every MsgId must have exactly one reply, and nothing else may have been sent. */
export function checkReplies(
  msgIds: string[],
  replies: Map<string, number[]>,
  stray: string[],
  dropped: number,
  ackFailures: number,
): ReplyCheck {
  const count = (msgId: string) => replies.get(msgId)?.length ?? 0;
  const missing = msgIds.filter((id) => count(id) === 0);
  const duplicated = msgIds.filter((id) => count(id) > 1);
  return {
    messages: msgIds.length,
    answeredOnce: msgIds.length - missing.length - duplicated.length,
    missing: missing.length,
    duplicated: duplicated.length,
    unexpected: stray.length,
    dropped,
    ackFailures,
    examples: [
      ...missing.slice(0, 3).map((id) => `no reply to MsgId ${id}`),
      ...duplicated.slice(0, 3).map((id) => `${count(id)} replies to MsgId ${id}`),
      ...stray.slice(0, 3).map((line) => `unexpected send to ${line}`),
    ],
    ok: missing.length === 0 && duplicated.length === 0 && stray.length === 0 && dropped === 0 && ackFailures === 0,
  };
}
