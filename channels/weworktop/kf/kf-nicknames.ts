import type { Logger } from '../../../src/logger.js';
import { OncePerWindow } from '../../../src/once-per-window.js';
import type { KfApi } from './kf-api.js';

/** A nickname is asked again after this long (a customer may rename); at most this many are kept. */
const KEEP_MS = 60 * 60 * 1000;
const MAX_KEPT = 10_000;

/**
 * Customers' WeChat nicknames (kf/customer/batchget), cached: shown in the logs and handed to the
 * pipeline as the sender's name. Only a display name: conversations are keyed by external_userid.
 * When WeCom does not answer, messages go on without names (one warning a minute).
 */
export class KfNicknames {
  private readonly names = new Map<string, { name: string | undefined; at: number }>();
  private readonly warned = new OncePerWindow(60_000, 1);

  constructor(
    private readonly api: KfApi,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Asks WeCom for the customers not known (or known too long); never throws. */
  async load(externalUserids: Iterable<string>): Promise<void> {
    const now = this.now();
    const wanted = [...new Set(externalUserids)].filter((id) => {
      const known = this.names.get(id);
      return !known || now - known.at > KEEP_MS;
    });
    if (wanted.length === 0) return;
    try {
      const found = await this.api.nicknames(wanted);
      for (const id of wanted) this.keep(id, found.get(id), now);
    } catch (error) {
      if (this.warned.take('batchget'))
        this.log.warn(
          { err: (error as Error).message },
          '微信客服: customer nicknames unavailable (kf/customer/batchget); going on without them',
        );
    }
  }

  nameOf(externalUserid: string): string | undefined {
    return this.names.get(externalUserid)?.name;
  }

  private keep(id: string, name: string | undefined, at: number): void {
    this.names.delete(id);
    this.names.set(id, { name, at });
    if (this.names.size > MAX_KEPT) this.names.delete(this.names.keys().next().value as string);
  }
}
