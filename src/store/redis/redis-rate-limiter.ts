import { randomUUID } from 'node:crypto';
import type { RateDecision, RateLimit } from '../../app/intake.js';
import { type LuaScript, luaScript } from './lua-script.js';
import type { RedisConnection } from './redis-connection.js';

/**
 * TAKE: a sliding window per user as a sorted set of message times, and a mark that the user was
 * told (so they are told once per window). KEYS: times, told. ARGV: now_ms, window_ms, per_window, member.
 * Returns 0 ok, 1 limited, 2 limited-first.
 */
const TAKE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 0
end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return 2 end
return 1
`;

const DECISIONS: RateDecision[] = ['ok', 'limited', 'limited-first'];

/** `store: "redis"`: rate_limit_per_minute counted over every instance, in keys that expire with the window. */
export class RedisRateLimiter implements RateLimit {
  private readonly takeScript: LuaScript;
  private taken = 0;
  /** Unique per limiter: two instances (in containers, both pid 1) may take a slot in the same millisecond. */
  private readonly owner = randomUUID();

  constructor(
    private readonly connection: RedisConnection,
    private readonly perMinute: number,
    private readonly windowMs = 60_000,
  ) {
    this.takeScript = luaScript(connection.redis, 'weworktopRateTake', TAKE);
  }

  async take(key: string): Promise<RateDecision> {
    if (this.perMinute <= 0) return 'ok';
    this.connection.whenAvailable();
    const member = `${Date.now()}:${this.owner}:${++this.taken}`;
    const decision = await this.takeScript(
      [this.times(key), `${this.times(key)}:told`],
      [Date.now(), this.windowMs, this.perMinute, member],
    );
    return DECISIONS[decision as number] ?? 'ok';
  }

  /** The newest slot goes back (a platform retry, or a refused message): the count is what matters, not whose it was. */
  giveBack(key: string): void {
    if (this.perMinute <= 0) return;
    this.connection.redis.zpopmax(this.times(key)).catch(() => undefined);
  }

  private times(key: string): string {
    return `${this.connection.prefix}rate:${key}`;
  }
}
