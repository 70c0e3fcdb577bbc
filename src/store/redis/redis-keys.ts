/**
 * The shared store's keys, all under `redis_prefix`. A conversation's messages wait in a list of
 * their own (its order across instances); `ready` names the conversations with messages waiting;
 * a lease says which instance answers a conversation now. Messages
 * of an exclusive scope (an AI bot's long connection) wait in that scope's pool, for its holder. Single Redis only: scripts build keys
 * from the prefix (not Redis Cluster safe).
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** WeCom's retry dedupe: set when a message id is first seen. */
  seen(id: string): string {
    return `${this.prefix}seen:${id}`;
  }

  /** A pending message (hash): channel, session, raw, received_at, attempts, outcome, parts_sent. */
  message(id: string): string {
    return `${this.prefix}msg:${id}`;
  }

  queue(sessionKey: string): string {
    return `${this.prefix}queue:${sessionKey}`;
  }

  lease(sessionKey: string): string {
    return `${this.prefix}lease:${sessionKey}`;
  }

  /** Conversations with messages waiting, by pool: "" for any process, else the exclusive name whose holder answers them. */
  ready(pool = ''): string {
    return pool ? `${this.prefix}ready:${pool}` : `${this.prefix}ready`;
  }
}
