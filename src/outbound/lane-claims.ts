import type { Logger } from '../logger.js';
import type { OutboundEntry, OutboundKind, SharedOutbound } from '../store/outbound-queue.js';

export interface LaneClaimsOptions {
  shared: SharedOutbound;
  kind: OutboundKind;
  /** Order keys this process may hold at once. */
  maxKeys: number;
  /** The keys held now (lanes), their entries taken in, and a key lost to another process. */
  held(): string[];
  adopt(entries: OutboundEntry[]): void;
  lost(orderKey: string): void;
  logger: Logger;
}

/**
 * A shared queue's side of ordered delivery: claims order keys nobody holds (at start, after each
 * store, and every third of the lease, which also takes over a dead holder's keys) and renews the
 * leases of the keys held.
 */
export class LaneClaims {
  private readonly timer: NodeJS.Timeout;
  private claiming: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: LaneClaimsOptions) {
    this.timer = setInterval(() => this.tick(), Math.max(100, options.shared.leaseMs / 3));
    this.timer.unref();
  }

  /** Claims what waits now; resolves with how many entries were taken in. */
  async first(): Promise<number> {
    const entries = await this.options.shared.claim(this.options.kind, this.room()).catch(() => []);
    this.options.adopt(entries);
    return entries.length;
  }

  /** An entry was just stored (here or elsewhere): claim soon, one claim at a time. */
  claimSoon(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = this.options.shared
      .claim(this.options.kind, this.room())
      .then(
        (entries) => this.options.adopt(entries),
        (error: unknown) => this.options.logger.debug({ err: (error as Error).message }, 'outbound claim failed: tried again soon'),
      )
      .finally(() => {
        this.claiming = undefined;
        if (this.again) {
          this.again = false;
          this.claimSoon();
        }
      });
  }

  /** Stops claiming, then gives the keys held up so another process sends them at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.claiming;
    await this.options.shared.release(this.options.kind, this.options.held()).catch(() => undefined);
  }

  private room(): number {
    return Math.max(0, this.options.maxKeys - this.options.held().length);
  }

  private tick(): void {
    const { shared, kind, logger } = this.options;
    shared.renew(kind, this.options.held()).then(
      (lost) => {
        for (const orderKey of lost) {
          logger.warn({ kind, to: orderKey }, `${kind} lease lost: another process sends these now`);
          this.options.lost(orderKey);
        }
      },
      () => undefined,
    );
    this.claimSoon();
  }
}
