export interface FetchedToken {
  token: string;
  expiresInSeconds: number;
}

export interface AccessTokenCacheOptions {
  fetch: () => Promise<FetchedToken>;
  now?: () => number;
  onBackgroundError?: (error: unknown) => void;
}

/**
 * One app's access_token: cached, refreshed shortly before it expires (also by a timer, so the
 * first message after hours of quiet does not wait for gettoken), and fetched by at most one call
 * at a time: concurrent callers share the in-flight refresh, so a burst never storms gettoken.
 */
export class AccessTokenCache {
  private current?: { token: string; refreshAt: number; expiresAt: number };
  private inflight?: Promise<string>;
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: AccessTokenCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  async get(): Promise<string> {
    const current = this.current;
    if (current && this.now() < current.refreshAt) return current.token;
    // Past refreshAt but before expiry: serve the old token while one refresh runs.
    if (current && this.now() < current.expiresAt) {
      void this.refresh().catch((error) => this.options.onBackgroundError?.(error));
      return current.token;
    }
    return this.refresh();
  }

  /** Drops the token a call was refused with; a token already replaced is left alone. */
  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private refresh(): Promise<string> {
    this.inflight ??= this.options
      .fetch()
      .then(({ token, expiresInSeconds }) => {
        const now = this.now();
        const ttlMs = Math.max(1, expiresInSeconds) * 1000;
        // Refresh 5 minutes early (a tenth of the lifetime for short-lived tokens).
        const marginMs = Math.min(300_000, ttlMs / 10);
        this.current = { token, refreshAt: now + ttlMs - marginMs, expiresAt: now + ttlMs };
        this.scheduleRefresh(ttlMs - marginMs);
        return token;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  private scheduleRefresh(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    this.timer = setTimeout(() => void this.refresh().catch((error) => this.options.onBackgroundError?.(error)), delayMs);
    this.timer.unref();
  }
}
