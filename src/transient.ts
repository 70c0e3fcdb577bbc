/**
 * Errors that say "try again later" (network, timeouts, 5xx, rate limits) carry `transient: true`;
 * the intake then retries the message with backoff instead of giving up on it.
 */
export function isTransient(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { transient?: unknown }).transient === true;
}
