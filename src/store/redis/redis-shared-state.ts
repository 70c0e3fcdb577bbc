import type { SharedState } from '../../channel.js';
import type { RedisConnection } from './redis-connection.js';

/** `store: "redis"`: the channels' shared state, under `<redis_prefix>channel:`. */
export class RedisSharedState implements SharedState {
  constructor(private readonly connection: RedisConnection) {}

  async get(key: string): Promise<string | undefined> {
    this.connection.whenAvailable();
    return (await this.connection.redis.get(this.key(key))) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.connection.whenAvailable();
    await this.connection.redis.set(this.key(key), value, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  private key(key: string): string {
    return `${this.connection.prefix}channel:${key}`;
  }
}
