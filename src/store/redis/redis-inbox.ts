import type { Logger } from '../../logger.js';
import { type Inbox, type InboxEntry, SETTLED_RETENTION_MS } from '../inbox.js';
import { ADMIT, ATTEMPT, SETTLE, UPDATE } from './inbox-scripts.js';
import { type LuaScript, luaScript } from './lua-script.js';
import type { RedisConnection } from './redis-connection.js';
import { RedisKeys } from './redis-keys.js';

/** A settlement Redis did not take (down) is tried again this often: its conversation waits for it. */
const SETTLE_RETRY_MS = 1000;

/** Where a settled message's conversation goes next: its next message id, when this instance holds it. */
export type SettledListener = (id: string, sessionKey: string | undefined, next: string | undefined) => void;

/**
 * `store: "redis"`: the inbox shared by every instance. A message is acknowledged once ADMIT
 * stored it; settling it removes its text (only its id stays, for dedupe) and hands the
 * conversation's next message to the lease holder (SessionLeases).
 */
export class RedisInbox implements Inbox {
  private readonly keys: RedisKeys;
  private readonly admit: LuaScript;
  private readonly settleScript: LuaScript;
  private readonly update: LuaScript;
  private readonly attempt: LuaScript;
  private onSettled: SettledListener = () => {};

  constructor(
    private readonly connection: RedisConnection,
    /** This instance, as its leases name it. */
    private readonly owner: string,
    private readonly leaseMs: number,
    private readonly log: Logger,
  ) {
    const { redis } = connection;
    this.keys = new RedisKeys(connection.prefix);
    this.admit = luaScript(redis, 'weworktopAdmit', ADMIT);
    this.settleScript = luaScript(redis, 'weworktopSettle', SETTLE);
    this.update = luaScript(redis, 'weworktopUpdate', UPDATE);
    this.attempt = luaScript(redis, 'weworktopAttempt', ATTEMPT);
  }

  /** Who moves a conversation on once its message is settled. */
  listen(listener: SettledListener): void {
    this.onSettled = listener;
  }

  async add(entry: Omit<InboxEntry, 'attempts' | 'partsSent' | 'outcomeJson'> & { pool?: string }): Promise<boolean> {
    this.connection.whenAvailable();
    const { id, channel, sessionKey, rawJson, receivedAt, pool = '' } = entry;
    const keys = [this.keys.seen(id), this.keys.message(id), this.keys.queue(sessionKey), this.keys.ready(pool)];
    return (await this.admit(keys, [id, channel, sessionKey, rawJson, receivedAt, SETTLED_RETENTION_MS, pool])) === 1;
  }

  async addSettled(id: string, _channel: string, _at: number): Promise<boolean> {
    this.connection.whenAvailable();
    return (await this.connection.redis.set(this.keys.seen(id), '1', 'PX', SETTLED_RETENTION_MS, 'NX')) === 'OK';
  }

  markDone(id: string): void {
    this.settle(id);
  }

  markFailed(id: string, reason: string): void {
    this.log.debug({ id, reason }, 'message settled as failed');
    this.settle(id);
  }

  recordAttempt(id: string): void {
    this.connection
      .patiently(() => this.attempt([this.keys.message(id)], []))
      .catch((error: Error) => this.log.warn({ id, err: error.message }, 'attempt not counted in redis (a replay may try once more)'));
  }

  async saveOutcome(id: string, outcomeJson: string): Promise<void> {
    await this.connection.patiently(() => this.update([this.keys.message(id)], ['outcome', outcomeJson]));
  }

  recordProgress(id: string, partsSent: number): void {
    this.connection
      .patiently(() => this.update([this.keys.message(id)], ['parts_sent', partsSent]))
      .catch((error: Error) =>
        this.log.warn({ id, err: error.message }, 'progress not saved in redis (a take-over may send a part again)'),
      );
  }

  async pending(channel: string): Promise<InboxEntry[]> {
    const { redis } = this.connection;
    const sessions = await redis.smembers(this.keys.ready());
    const entries: InboxEntry[] = [];
    for (const session of sessions) {
      for (const id of await redis.lrange(this.keys.queue(session), 0, -1)) {
        const entry = await this.entry(id);
        if (entry?.channel === channel) entries.push(entry);
      }
    }
    return entries.sort((a, b) => a.receivedAt - b.receivedAt);
  }

  async entry(id: string): Promise<InboxEntry | undefined> {
    const fields = await this.connection.redis.hgetall(this.keys.message(id));
    if (fields.session === undefined) return undefined;
    return {
      id,
      channel: fields.channel ?? '',
      sessionKey: fields.session,
      rawJson: fields.raw ?? 'null',
      receivedAt: Number(fields.received_at),
      attempts: Number(fields.attempts ?? 0),
      ...(fields.outcome === undefined ? {} : { outcomeJson: fields.outcome }),
      partsSent: Number(fields.parts_sent ?? 0),
    };
  }

  /** The conversation's messages stored behind `id`, oldest first (the holder gives them one at a time). */
  async waitingBehind(sessionKey: string, id: string): Promise<InboxEntry[]> {
    const queue = await this.connection.redis.lrange(this.keys.queue(sessionKey), 0, -1);
    const at = queue.indexOf(id);
    // Settled meanwhile (by another holder): what is queued is not behind it, and is not this burst's.
    if (at < 0) return [];
    const behind = queue.slice(at + 1);
    const entries = await Promise.all(behind.map((waiting) => this.entry(waiting)));
    return entries.filter((entry) => entry !== undefined);
  }

  /** Settled messages' texts are deleted when they are settled: nothing is left to erase. */
  async forget(_sessionKey: string): Promise<void> {}

  healthy(): boolean {
    return this.connection.available();
  }

  private settle(id: string): void {
    this.settleScript([], [this.keys.prefix, id, this.owner, this.leaseMs]).then(
      (result) => {
        const [sessionKey, next] = (result as [string, string?] | null) ?? [];
        this.onSettled(id, sessionKey, next);
      },
      (error: Error) => {
        this.log.debug({ id, err: error.message, retry_in_ms: SETTLE_RETRY_MS }, 'settlement not stored in redis; retrying');
        setTimeout(() => this.settle(id), SETTLE_RETRY_MS).unref();
      },
    );
  }
}
