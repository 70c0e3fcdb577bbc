import type { SharedTurns } from '../../../src/channel.js';
import type { Logger } from '../../../src/logger.js';
import { isTransient } from '../../../src/transient.js';
import type { KfApi, KfPage } from './kf-api.js';
import type { KfMsg } from './kf-message.js';
import type { KfStore } from './kf-store.js';

export interface KfPullerOptions {
  api: KfApi;
  store: KfStore;
  /** Stores a page's messages; resolves once they are stored for good (the cursor is saved after). */
  takePage(openKfid: string, messages: KfMsg[]): Promise<void>;
  logger: Logger;
  now?: () => number;
  /** First wait before a failed pull is tried again; doubles up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Several processes (store "redis"): one pulls an account at a time, the others' callbacks ask it to go round again. */
  turns?: SharedTurns;
}

/** A callback's token is good for 10 minutes; one a little younger is still sent. */
const TOKEN_LIFE_MS = 9.5 * 60 * 1000;

/**
 * Pulls each 客服账号's messages with kf/sync_msg: one pull at a time per account (a callback
 * during a pull makes it go round once more), page after page while has_more (an empty page may
 * still have more), from the persisted cursor, which is saved only once the page's messages are
 * stored. Messages sent before kf was first enabled here are WeCom's 3-day backlog (what a cold
 * start, without a cursor, gets first): skipped and counted. A pull that fails on an outage is tried again with backoff; WeCom is never kept
 * waiting on it (the callback was acknowledged before).
 */
export class KfPuller {
  private readonly running = new Map<string, Promise<void>>();
  /** Accounts asked for again while their pull ran. */
  private readonly again = new Set<string>();
  private readonly retries = new Map<string, { timer: NodeJS.Timeout; delayMs: number }>();
  /** Per account, the last token sync_msg refused: not sent again. */
  private readonly refusedTokens = new Map<string, string>();
  /** Asks left with another process's turn: checked once its lease would have run out (it may have died). */
  private readonly rechecks = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
  private readonly log: Logger;
  private stopped = false;

  constructor(private readonly options: KfPullerOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.logger;
  }

  /** Something new for this account (a callback, the start): pulled now, or right after the pull running. */
  request(openKfid: string, onlyIfAsked = false): void {
    if (this.stopped) return;
    if (this.running.has(openKfid)) {
      if (!onlyIfAsked) this.again.add(openKfid);
      return;
    }
    const retry = this.retries.get(openKfid);
    if (retry) clearTimeout(retry.timer);
    const run = this.turn(openKfid, retry?.delayMs, onlyIfAsked).finally(() => this.running.delete(openKfid));
    this.running.set(openKfid, run);
  }

  /** Resolves once no pull runs (tests, the simulator). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /** No new pulls; the one running finishes its page (its cursor saved or not, never half). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.retries.values()) clearTimeout(timer);
    for (const timer of this.rechecks) clearTimeout(timer);
    this.retries.clear();
    await Promise.all([...this.running.values()]);
  }

  /** With shared turns, a pull runs only in this process's turn; else at once. */
  private async turn(openKfid: string, lastDelayMs: number | undefined, onlyIfAsked: boolean): Promise<void> {
    const { turns } = this.options;
    if (!turns) return this.drain(openKfid, lastDelayMs);
    const name = `kf:${openKfid}`;
    let begun: Awaited<ReturnType<SharedTurns['begin']>>;
    try {
      begun = await turns.begin(name, { onlyIfAsked });
    } catch (error) {
      this.failed(openKfid, error, lastDelayMs);
      return;
    }
    if (begun === 'run') return this.drain(openKfid, lastDelayMs, name);
    if (begun === 'served' || this.stopped) return;
    const timer = setTimeout(() => {
      this.rechecks.delete(timer);
      this.request(openKfid, true);
    }, turns.leaseMs + 100);
    timer.unref();
    this.rechecks.add(timer);
  }

  private async drain(openKfid: string, lastDelayMs?: number, turn?: string): Promise<void> {
    const { turns } = this.options;
    for (;;) {
      this.again.delete(openKfid);
      try {
        await this.pullAll(openKfid);
        this.retries.delete(openKfid);
      } catch (error) {
        if (turn) await turns!.abandon(turn).catch(() => undefined);
        this.failed(openKfid, error, lastDelayMs);
        return;
      }
      if (this.stopped) {
        if (turn) await turns!.abandon(turn).catch(() => undefined);
        return;
      }
      if (this.again.has(openKfid)) continue;
      // Another process's ask meanwhile: one more round, the turn kept.
      if (!turn || !(await turns!.end(turn).catch(() => false))) return;
    }
  }

  private async pullAll(openKfid: string): Promise<void> {
    const { api, store } = this.options;
    const enabledAt = await store.enabledAt(this.now());
    // send_time is in whole seconds: a message of the second kf was enabled in is answered.
    const oldestAnswered = Math.floor(enabledAt / 1000);
    let cursor = await store.cursor(openKfid);
    const cold = cursor === undefined;
    let token = await this.freshToken(openKfid);
    let skipped = 0;
    let taken = 0;
    for (;;) {
      let page: KfPage;
      try {
        page = await api.syncMsg(openKfid, cursor, token);
      } catch (error) {
        if (!token || isTransient(error)) throw error;
        // The token may have expired (10 minutes): the cursor alone is enough, at a lower rate.
        this.log.info(
          { account: openKfid, err: (error as Error).message },
          '微信客服: sync_msg refused the callback token; pulling without it',
        );
        this.refusedTokens.set(openKfid, token);
        token = undefined;
        continue;
      }
      const fresh = page.msg_list.filter((msg) => msg.send_time >= oldestAnswered);
      skipped += page.msg_list.length - fresh.length;
      if (fresh.length > 0) await this.options.takePage(openKfid, fresh);
      taken += fresh.length;
      if (page.next_cursor) {
        await store.saveCursor(openKfid, page.next_cursor);
        cursor = page.next_cursor;
      }
      if (page.has_more !== 1 || this.stopped) break;
    }
    if (skipped > 0) {
      this.log.info(
        { account: openKfid, skipped, kf_enabled: new Date(enabledAt).toISOString() },
        `微信客服: ${cold ? 'cold start: ' : ''}${skipped} message(s) sent before kf was first enabled here skipped (WeCom's 3-day history), not answered`,
      );
    }
    this.log.debug({ account: openKfid, taken, cold }, '微信客服: pulled');
  }

  private async freshToken(openKfid: string): Promise<string | undefined> {
    const saved = await this.options.store.token(openKfid);
    return saved && this.now() - saved.at < TOKEN_LIFE_MS && this.refusedTokens.get(openKfid) !== saved.token ? saved.token : undefined;
  }

  /** An outage is tried again later (backoff); anything else waits for the next callback. */
  private failed(openKfid: string, error: unknown, lastDelayMs: number | undefined): void {
    const reason = (error as Error)?.message ?? String(error);
    if (!isTransient(error) || this.stopped) {
      this.log.error({ account: openKfid, err: reason }, '微信客服: pulling messages failed; the next callback tries again');
      return;
    }
    const base = this.options.retryDelayMs ?? 2000;
    const delayMs = lastDelayMs === undefined ? base : Math.min(lastDelayMs * 2, this.options.maxRetryDelayMs ?? 5 * 60 * 1000);
    this.log.warn({ account: openKfid, err: reason, retry_in_ms: delayMs }, '微信客服: pulling messages failed; will retry');
    const timer = setTimeout(() => this.request(openKfid), delayMs);
    timer.unref();
    this.retries.set(openKfid, { timer, delayMs });
  }
}
