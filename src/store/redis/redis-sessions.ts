import type { Logger } from '../../logger.js';
import type { SavedConversation, SessionPersistence } from '../session-persistence.js';
import type { RedisConnection } from './redis-connection.js';

/**
 * `store: "redis"`: conversations shared by every instance, each under its own key with
 * `expires_in_seconds` as its TTL (renewed on each save). The instance answering a conversation
 * holds its lease, so the copy fetched before an answer is the latest one.
 */
export class RedisSessions implements SessionPersistence {
  constructor(
    private readonly connection: RedisConnection,
    private readonly ttlSeconds: number,
    private readonly log: Logger,
  ) {}

  /** Nothing is read without `fetch`: the memory copy of another instance's conversation could be stale. */
  load(_id: string): SavedConversation | undefined {
    return undefined;
  }

  async fetch(id: string): Promise<SavedConversation | undefined> {
    const text = await this.connection.patiently(() => this.connection.redis.get(this.key(id)));
    return text === null ? undefined : (JSON.parse(text) as SavedConversation);
  }

  save(id: string, conversation: SavedConversation): void {
    const text = JSON.stringify(conversation);
    const written =
      this.ttlSeconds > 0
        ? this.connection.redis.set(this.key(id), text, 'EX', this.ttlSeconds)
        : this.connection.redis.set(this.key(id), text);
    written.catch((error: Error) => this.log.warn({ session: id, err: error.message }, 'conversation turn not saved in redis'));
  }

  delete(id: string): void {
    this.connection.redis
      .del(this.key(id))
      .catch((error: Error) => this.log.warn({ session: id, err: error.message }, 'conversation not deleted in redis'));
  }

  /** Redis expires them by their TTL. */
  deleteIdleSince(_cutoff: number): void {}

  private key(id: string): string {
    return `${this.connection.prefix}conversation:${id}`;
  }
}
