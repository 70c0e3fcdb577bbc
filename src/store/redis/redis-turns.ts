import type { SharedTurns } from '../../channel.js';
import { type LuaScript, luaScript } from './lua-script.js';
import type { RedisConnection } from './redis-connection.js';
import { RELEASE, RENEW } from './session-leases.js';

/** An ask waits this long for the runner to see it (a runner dead past it is replaced by the re-check). */
const ASK_TTL_MS = 10 * 60 * 1000;

/**
 * BEGIN: the turn's lease (clearing the asks it covers), else an ask for the runner. KEYS: lease,
 * asked. ARGV: owner, lease_ms, only_if_asked, ask_ttl_ms. 1 run, 0 asked, -1 served already.
 */
const BEGIN = `
if ARGV[3] == '1' and redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('DEL', KEYS[2])
  return 1
end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])
return 0
`;

/** END: another turn if asked meanwhile (lease kept), else the lease goes. KEYS: lease, asked. ARGV: owner, lease_ms. */
const END = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('DEL', KEYS[2]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
redis.call('DEL', KEYS[1])
return 0
`;

/** `store: "redis"`: SharedTurns on leases under `<redis_prefix>turn:`, renewed while a turn runs. */
export class RedisTurns implements SharedTurns {
  private readonly running = new Set<string>();
  private readonly scripts: Record<'begin' | 'end' | 'renew' | 'release', LuaScript>;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly connection: RedisConnection,
    private readonly owner: string,
    readonly leaseMs: number,
  ) {
    const { redis } = connection;
    this.scripts = {
      begin: luaScript(redis, 'weworktopTurnBegin', BEGIN),
      end: luaScript(redis, 'weworktopTurnEnd', END),
      renew: luaScript(redis, 'weworktopTurnRenew', RENEW),
      release: luaScript(redis, 'weworktopTurnRelease', RELEASE),
    };
    // A long turn (many pages) keeps its lease; a lost one is noticed at `end`.
    this.timer = setInterval(
      () => {
        for (const name of this.running) void this.scripts.renew([this.lease(name)], [this.owner, this.leaseMs]).catch(() => undefined);
      },
      Math.max(100, leaseMs / 3),
    ).unref();
  }

  async begin(name: string, options: { onlyIfAsked?: boolean } = {}): Promise<'run' | 'asked' | 'served'> {
    this.connection.whenAvailable();
    const answer = await this.scripts.begin(
      [this.lease(name), this.asked(name)],
      [this.owner, this.leaseMs, options.onlyIfAsked ? 1 : 0, ASK_TTL_MS],
    );
    if (answer === 1) this.running.add(name);
    return answer === 1 ? 'run' : answer === 0 ? 'asked' : 'served';
  }

  async end(name: string): Promise<boolean> {
    const again = (await this.scripts.end([this.lease(name), this.asked(name)], [this.owner, this.leaseMs])) === 1;
    if (!again) this.running.delete(name);
    return again;
  }

  async abandon(name: string): Promise<void> {
    this.running.delete(name);
    await this.scripts.release([this.lease(name)], [this.owner]);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private lease(name: string): string {
    return `${this.connection.prefix}turn:${name}`;
  }

  private asked(name: string): string {
    return `${this.connection.prefix}turn-asked:${name}`;
  }
}
