/**
 * The shared store does not answer (Redis down): a callback gets 503, so the platform retries it
 * later. Logged once by the store's connection, not per request.
 */
export class StoreUnavailableError extends Error {
  readonly status = 503;

  constructor(reason: string) {
    super(`store unavailable: ${reason}`);
  }
}
