import { type LuaScript, luaScript } from './lua-script.js';
import type { RedisConnection } from './redis-connection.js';
import { RedisKeys } from './redis-keys.js';

/**
 * CLAIM: an instance takes a conversation with messages waiting, unless another holds its lease.
 * KEYS: lease, queue, ready. ARGV: owner, lease_ms, session. Returns the first message id, or nil
 * (nothing waits: a stale `ready` member is cleared; or the lease is held).
 */
const CLAIM = `
if redis.call('LLEN', KEYS[2]) == 0 then
  redis.call('SREM', KEYS[3], ARGV[3])
  return nil
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return nil end
return redis.call('LINDEX', KEYS[2], 0)
`;

/** RENEW: keeps a lease this instance holds. KEYS: lease. ARGV: owner, lease_ms. 1 if still held. */
export const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** RELEASE: gives a lease up at shutdown, so another instance takes the conversation at once. KEYS: lease. ARGV: owner. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`;

/**
 * The conversations' leases: one instance answers a conversation at a time, in its queue's order.
 * A lease not renewed (its instance died) expires after `lease_seconds`; another instance's scan
 * of the waiting conversations then claims it and answers from where it was (the stored answer).
 */
export class SessionLeases {
  private readonly keys: RedisKeys;
  private readonly claimScript: LuaScript;
  private readonly renewScript: LuaScript;
  private readonly releaseScript: LuaScript;

  constructor(
    private readonly connection: RedisConnection,
    readonly owner: string,
    readonly leaseMs: number,
  ) {
    this.keys = new RedisKeys(connection.prefix);
    this.claimScript = luaScript(connection.redis, 'weworktopClaim', CLAIM);
    this.renewScript = luaScript(connection.redis, 'weworktopRenew', RENEW);
    this.releaseScript = luaScript(connection.redis, 'weworktopRelease', RELEASE);
  }

  /** The conversation's first waiting message id once claimed; undefined when another instance holds it or nothing waits. */
  async claim(sessionKey: string, pool = ''): Promise<string | undefined> {
    const keys = [this.keys.lease(sessionKey), this.keys.queue(sessionKey), this.keys.ready(pool)];
    return ((await this.claimScript(keys, [this.owner, this.leaseMs, sessionKey])) as string | null) ?? undefined;
  }

  /** False when the lease was lost (expired while this instance could not reach Redis, and taken). */
  async renew(sessionKey: string): Promise<boolean> {
    return (await this.renewScript([this.keys.lease(sessionKey)], [this.owner, this.leaseMs])) === 1;
  }

  async release(sessionKey: string): Promise<void> {
    await this.releaseScript([this.keys.lease(sessionKey)], [this.owner]);
  }

  /** Some conversations with messages waiting, for the scan that finds unclaimed ones. */
  async waiting(count: number, pool = ''): Promise<string[]> {
    return (await this.connection.redis.srandmember(this.keys.ready(pool), count)) as string[];
  }

  available(): boolean {
    return this.connection.available();
  }
}
