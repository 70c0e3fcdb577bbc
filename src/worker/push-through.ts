import type { DeliveredParts, Replier } from '../channel.js';
import { type PushFailure, pushFailureOf } from '../push/push-failure.js';
import type { PushMessage } from '../push/push-message.js';

/** On the answer worker: one push through the channel's replier, from part `partsSent` on; resolves with why it failed, if it did. */
export async function pushThrough(
  replier: Replier,
  call: { message: PushMessage; partsSent: number },
  onPart: (partsSent: number) => void,
): Promise<PushFailure | undefined> {
  if (!replier.push) return { message: `channel ${replier.name} cannot send pushes`, transient: false };
  let index = 0;
  const parts: DeliveredParts = {
    alreadySent: () => index++ < call.partsSent,
    sent: () => onPart(index),
  };
  try {
    await replier.push(call.message, parts);
    return undefined;
  } catch (error) {
    return pushFailureOf(error);
  }
}
