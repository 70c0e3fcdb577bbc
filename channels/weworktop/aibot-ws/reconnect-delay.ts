/** The first reconnect waits about this long; each further try doubles it, up to the cap. */
export const FIRST_RECONNECT_MS = 1000;
export const MAX_RECONNECT_MS = 30_000;
/** After another process took the bot over (disconnected_event): a long pause, so two processes do not kick each other in a loop. */
export const TAKEN_OVER_PAUSE_MS = 60_000;

/**
 * The wait before reconnect try `attempt` (1, 2, ...): 1 s doubling to 30 s, with jitter (a random
 * point in the upper half), so that many bots cut at once do not come back in step.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(FIRST_RECONNECT_MS * 2 ** Math.max(0, attempt - 1), MAX_RECONNECT_MS);
  return Math.round(base / 2 + (random() * base) / 2);
}
