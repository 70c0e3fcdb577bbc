import type { SharedState } from '../../channel.js';
import { type LuaScript, luaScript } from './lua-script.js';
import type { RedisConnection } from './redis-connection.js';

/**
 * JOIN_IF_UNDER: a group is a sorted set of members scored by when they expire. KEYS: the group.
 * ARGV: member, max, now (ms), ttl (ms). Returns 1 when the member is in, 0 when the group is full.
 */
const JOIN_IF_UNDER = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[3]) + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

/** `store: "redis"`: the channels' shared state, under `<redis_prefix>channel:`. */
export class RedisSharedState implements SharedState {
  private readonly joinScript: LuaScript;

  constructor(
    private readonly connection: RedisConnection,
    private readonly now: () => number = Date.now,
  ) {
    this.joinScript = luaScript(connection.redis, 'weworktopJoinIfUnder', JOIN_IF_UNDER);
  }

  async get(key: string): Promise<string | undefined> {
    this.connection.whenAvailable();
    return (await this.connection.redis.get(this.key(key))) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.connection.whenAvailable();
    await this.connection.redis.set(this.key(key), value, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async joinIfUnder(key: string, member: string, max: number, ttlMs: number): Promise<boolean> {
    this.connection.whenAvailable();
    return (await this.joinScript([this.key(key)], [member, max, this.now(), Math.max(1, Math.round(ttlMs))])) === 1;
  }

  async leave(key: string, member: string): Promise<void> {
    this.connection.whenAvailable();
    await this.connection.redis.zrem(this.key(key), member);
  }

  private key(key: string): string {
    return `${this.connection.prefix}channel:${key}`;
  }
}
