import type { ExclusiveHolds } from '../../channel.js';
import type { Logger } from '../../logger.js';
import { type LuaScript, luaScript } from './lua-script.js';
import type { RedisConnection } from './redis-connection.js';
import { RELEASE, RENEW } from './session-leases.js';

interface Held {
  handlers: { gained(): void; lost(): void };
  held: boolean;
}

/**
 * `store: "redis"`: named leases one process holds at a time (ExclusiveHolds), tried and renewed
 * every third of `lease_seconds`; a holder that dies loses its names when its leases expire.
 */
export class ExclusiveLeases implements ExclusiveHolds {
  private readonly names = new Map<string, Held>();
  private readonly renewScript: LuaScript;
  private readonly releaseScript: LuaScript;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly connection: RedisConnection,
    private readonly owner: string,
    private readonly leaseMs: number,
    private readonly log: Logger,
  ) {
    this.renewScript = luaScript(connection.redis, 'weworktopExclusiveRenew', RENEW);
    this.releaseScript = luaScript(connection.redis, 'weworktopExclusiveRelease', RELEASE);
    this.timer = setInterval(() => this.tick(), Math.max(100, leaseMs / 3)).unref();
  }

  hold(name: string, handlers: { gained(): void; lost(): void }): void {
    this.names.set(name, { handlers, held: false });
    this.tryFor(name);
  }

  /** Names with an exclusive holder (held here or elsewhere): their messages wait for it. */
  isExclusive(name: string | undefined): boolean {
    return name !== undefined && this.names.has(name);
  }

  /** The names this process holds now. */
  held(): string[] {
    return [...this.names].filter(([, entry]) => entry.held).map(([name]) => name);
  }

  /** Gives every name up (a graceful stop), so another process takes them at once. */
  async releaseAll(): Promise<void> {
    clearInterval(this.timer);
    for (const [name, entry] of this.names) {
      if (!entry.held) continue;
      entry.held = false;
      entry.handlers.lost();
      await this.releaseScript([this.key(name)], [this.owner]).catch(() => undefined);
    }
  }

  private tick(): void {
    for (const name of this.names.keys()) this.tryFor(name);
  }

  private tryFor(name: string): void {
    const entry = this.names.get(name)!;
    const attempt = entry.held
      ? this.renewScript([this.key(name)], [this.owner, this.leaseMs]).then((kept) => kept === 1)
      : this.connection.redis.set(this.key(name), this.owner, 'PX', this.leaseMs, 'NX').then((set) => set === 'OK');
    attempt.then(
      (holds) => {
        if (holds === entry.held) return;
        entry.held = holds;
        this.log.info({ name }, holds ? 'holding it: this process serves it now' : 'lost it: another process serves it now');
        if (holds) entry.handlers.gained();
        else entry.handlers.lost();
      },
      // Redis down: what is held stays so until its lease would have run out elsewhere, then renewal fails.
      () => undefined,
    );
  }

  private key(name: string): string {
    return `${this.connection.prefix}exclusive:${name}`;
  }
}
