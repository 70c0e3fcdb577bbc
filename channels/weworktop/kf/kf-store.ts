/** A callback's pull token: valid 10 minutes, a pull without one is rate-limited hard. */
export interface PullToken {
  token: string;
  /** When the callback brought it (ms). */
  at: number;
}

/**
 * What the 微信客服 puller keeps across restarts: when this deployment first enabled kf (older
 * messages are WeCom's backlog, never answered), and per 客服账号 its sync_msg cursor and the
 * last callback's token (a callback acknowledged just before a crash is pulled at the next start).
 * Each answer may be a promise: the Redis one (store "redis", shared by every process) is.
 */
export interface KfStore {
  /** The saved next_cursor; undefined before the account's first pull (a cold start). */
  cursor(openKfid: string): Maybe<string | undefined>;
  /** Saved only once the messages of the page it follows are stored. */
  saveCursor(openKfid: string, cursor: string): Maybe<void>;
  /** When 微信客服 was first enabled on this deployment (ms), recorded as `now` at the first call. */
  enabledAt(now: number): Maybe<number>;
  /** An account to pull at every start (one a callback named, or kf/account/list). */
  remember(openKfid: string): Maybe<void>;
  /** A callback's token, before the callback is acknowledged. */
  saveToken(openKfid: string, token: PullToken): Maybe<void>;
  token(openKfid: string): Maybe<PullToken | undefined>;
  /** Every account served so far. */
  accounts(): Maybe<string[]>;
  close(): void;
}

type Maybe<T> = T | Promise<T>;

interface AccountState {
  cursor?: string;
  token?: PullToken;
}

/** `inbox_store: "memory"`: the same, gone at restart (as the inbox is). */
export class MemoryKfStore implements KfStore {
  private readonly state = new Map<string, AccountState>();
  private enabled: number | undefined;

  cursor(openKfid: string): string | undefined {
    return this.state.get(openKfid)?.cursor;
  }

  saveCursor(openKfid: string, cursor: string): void {
    this.account(openKfid).cursor = cursor;
  }

  enabledAt(now: number): number {
    this.enabled ??= now;
    return this.enabled;
  }

  remember(openKfid: string): void {
    this.account(openKfid);
  }

  saveToken(openKfid: string, token: PullToken): void {
    this.account(openKfid).token = token;
  }

  token(openKfid: string): PullToken | undefined {
    return this.state.get(openKfid)?.token;
  }

  accounts(): string[] {
    return [...this.state.keys()];
  }

  close(): void {}

  private account(openKfid: string): AccountState {
    const known = this.state.get(openKfid);
    if (known) return known;
    const state: AccountState = {};
    this.state.set(openKfid, state);
    return state;
  }
}
