import type { SharedState } from '../../../src/channel.js';
import type { KfStore, PullToken } from './kf-store.js';

/** Cursors and the accounts list outlive any pause in 微信客服's use; each write renews them. */
const KEEP_MS = 365 * 24 * 60 * 60 * 1000;
/** A callback's token is good for 10 minutes. */
const TOKEN_MS = 10 * 60 * 1000;

/**
 * The puller's state in the core's shared key-value (store "redis"), so every process pulls from the same
 * cursor and skips the same backlog. Writes race only on the accounts list (two processes naming
 * different new accounts at once): a lost name comes back with its account's next callback.
 */
export class SharedKfStore implements KfStore {
  /** Accounts known to be in the shared list: not written again. */
  private readonly listed = new Set<string>();

  constructor(private readonly shared: SharedState) {}

  async cursor(openKfid: string): Promise<string | undefined> {
    return this.shared.get(`kf:cursor:${openKfid}`);
  }

  async saveCursor(openKfid: string, cursor: string): Promise<void> {
    await this.shared.set(`kf:cursor:${openKfid}`, cursor, KEEP_MS);
  }

  async enabledAt(now: number): Promise<number> {
    const known = await this.shared.get('kf:enabled_at');
    if (known !== undefined) return Number(known);
    // Processes starting together may each write their own now: a few ms apart.
    await this.shared.set('kf:enabled_at', String(now), 10 * KEEP_MS);
    return now;
  }

  async remember(openKfid: string): Promise<void> {
    if (this.listed.has(openKfid)) return;
    const accounts = await this.accounts();
    if (!accounts.includes(openKfid)) await this.shared.set('kf:accounts', JSON.stringify([...accounts, openKfid].sort()), KEEP_MS);
    this.listed.add(openKfid);
  }

  async saveToken(openKfid: string, token: PullToken): Promise<void> {
    await this.shared.set(`kf:token:${openKfid}`, JSON.stringify(token), TOKEN_MS);
  }

  async token(openKfid: string): Promise<PullToken | undefined> {
    const saved = await this.shared.get(`kf:token:${openKfid}`);
    return saved === undefined ? undefined : (JSON.parse(saved) as PullToken);
  }

  async accounts(): Promise<string[]> {
    const saved = await this.shared.get('kf:accounts');
    return saved === undefined ? [] : (JSON.parse(saved) as string[]);
  }

  close(): void {}
}
