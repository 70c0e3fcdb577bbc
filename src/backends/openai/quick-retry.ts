import { setTimeout as sleep } from 'node:timers/promises';
import { isDroppedConnection } from '../../dropped-connection.js';

type Fetch = typeof globalThis.fetch;

/** Long enough for a fresh connection, short enough that the user does not notice. */
export const QUICK_RETRY_DELAY_MS = 200;

/**
 * The one in-call retry of LLM calls: a request whose connection dropped before the answer began
 * is sent again, at most `retries` times. Outages (5xx, 429, timeouts, refused connections) are
 * not retried here: they reach the answer runner, whose backoff owns them (docs/reliability.md).
 */
export function withQuickRetry(
  fetch: Fetch,
  options: { retries: number; delayMs?: number; onRetry: (error: unknown, retry: number) => void },
): Fetch {
  if (options.retries <= 0) return fetch;
  return (async (input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => {
    for (let retry = 0; ; retry++) {
      try {
        return await fetch(input, init);
      } catch (error) {
        if (retry >= options.retries || !isDroppedConnection(error) || init?.signal?.aborted) throw error;
        options.onRetry(error, retry + 1);
        await sleep(options.delayMs ?? QUICK_RETRY_DELAY_MS);
      }
    }
  }) as Fetch;
}
