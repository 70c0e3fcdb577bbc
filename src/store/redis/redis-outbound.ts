import type { Logger } from '../../logger.js';
import {
  IDEMPOTENCY_WINDOW_MS,
  type NewOutboundEntry,
  type OutboundEntry,
  type OutboundKind,
  type OutboundQueue,
  type OutboundStatus,
  type SharedOutbound,
} from '../outbound-queue.js';
import { type LuaScript, luaScript } from './lua-script.js';
import { ADD, CLAIM, MORE, SETTLE } from './outbound-scripts.js';
import type { RedisConnection } from './redis-connection.js';
import { RELEASE, RENEW } from './session-leases.js';

/** Entries of a key read at once (a claim, a refill): the next ones come once these are settled. */
const BATCH = 100;

/**
 * `store: "redis"`: the push API's and the bridge's queue, shared by every process. An entry is in
 * Redis before the request is answered; it is sent by the holder of its order key's lease.
 */
export class RedisOutbound implements OutboundQueue, SharedOutbound {
  readonly shared: SharedOutbound = this;
  private readonly scripts: Record<'add' | 'claim' | 'settle' | 'more' | 'renew' | 'release', LuaScript>;
  /** Updates after the send go out in order, and `more` waits for them (a settle lands before its key is released). */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly connection: RedisConnection,
    private readonly owner: string,
    readonly leaseMs: number,
    private readonly log: Logger,
    /** The exclusive names held here now: their keys may be claimed here. */
    private readonly pools: () => string[] = () => [],
  ) {
    const { redis } = connection;
    this.scripts = {
      add: luaScript(redis, 'weworktopOutAdd', ADD),
      claim: luaScript(redis, 'weworktopOutClaim', CLAIM),
      settle: luaScript(redis, 'weworktopOutSettle', SETTLE),
      more: luaScript(redis, 'weworktopOutMore', MORE),
      renew: luaScript(redis, 'weworktopOutRenew', RENEW),
      release: luaScript(redis, 'weworktopOutRelease', RELEASE),
    };
  }

  async add(entry: NewOutboundEntry): Promise<{ id: string; created: boolean }> {
    this.connection.whenAvailable();
    const { kind, id, orderKey } = entry;
    const key = entry.idempotencyKey ?? '';
    const [storedId, created] = (await this.scripts.add(
      [this.key('out', kind, id), this.key('outq', kind, orderKey), this.readyKey(kind, entry.pool), this.key('outkey', kind, key)],
      [id, orderKey, entry.bodyJson, entry.createdAt, entry.idempotencyKey === undefined ? 0 : 1, IDEMPOTENCY_WINDOW_MS, entry.pool ?? ''],
    )) as [string, number];
    return { id: storedId, created: created === 1 };
  }

  async get(kind: OutboundKind, id: string): Promise<OutboundEntry | undefined> {
    return (await this.read(kind, [id]))[0];
  }

  async queued(kind: OutboundKind): Promise<OutboundEntry[]> {
    const { redis } = this.connection;
    const keys = await redis.smembers(this.key('outready', kind));
    const ids = await Promise.all(keys.map((orderKey) => redis.lrange(this.key('outq', kind, orderKey), 0, -1)));
    return (await this.read(kind, ids.flat())).sort((a, b) => a.createdAt - b.createdAt);
  }

  recordAttempt(kind: OutboundKind, id: string): void {
    this.later(() => this.connection.redis.hincrby(this.key('out', kind, id), 'attempts', 1));
  }

  recordProgress(kind: OutboundKind, id: string, partsSent: number): void {
    this.later(() => this.connection.redis.hset(this.key('out', kind, id), 'parts_sent', partsSent));
  }

  settle(kind: OutboundKind, id: string, status: 'sent' | 'failed', errorJson?: string): void {
    this.later(() =>
      this.scripts.settle([this.key('out', kind, id)], [id, status, errorJson ?? '', IDEMPOTENCY_WINDOW_MS, this.connection.prefix, kind]),
    );
  }

  async claim(kind: OutboundKind, maxKeys: number): Promise<OutboundEntry[]> {
    if (maxKeys <= 0 || !this.connection.available()) return [];
    const prefix = this.connection.prefix;
    const ready = [this.readyKey(kind), ...this.pools().map((pool) => this.readyKey(kind, pool))];
    const keys = (await this.scripts.claim(ready, [prefix, kind, this.owner, this.leaseMs, maxKeys])) as string[];
    const ids = await Promise.all(keys.map((orderKey) => this.connection.redis.lrange(this.key('outq', kind, orderKey), 0, BATCH - 1)));
    return this.read(kind, ids.flat());
  }

  async more(kind: OutboundKind, orderKey: string, pool?: string): Promise<OutboundEntry[] | undefined> {
    await this.writes;
    const [held, ids] = (await this.connection.patiently(() =>
      this.scripts.more(
        [this.key('outq', kind, orderKey), this.key('outlease', kind, orderKey), this.readyKey(kind, pool)],
        [this.owner, orderKey, BATCH],
      ),
    )) as [number, string[]?];
    return held === 1 ? this.read(kind, ids ?? []) : undefined;
  }

  async renew(kind: OutboundKind, orderKeys: string[]): Promise<string[]> {
    const kept = await Promise.all(
      orderKeys.map((orderKey) => this.scripts.renew([this.key('outlease', kind, orderKey)], [this.owner, this.leaseMs])),
    );
    return orderKeys.filter((_, i) => kept[i] !== 1);
  }

  async release(kind: OutboundKind, orderKeys: string[]): Promise<void> {
    await this.writes;
    await Promise.all(orderKeys.map((orderKey) => this.scripts.release([this.key('outlease', kind, orderKey)], [this.owner])));
  }

  /** Queued after the writes before it; waits out a short Redis outage; a failure is logged once per write. */
  private later(write: () => Promise<unknown>): void {
    this.writes = this.writes.then(() =>
      this.connection.patiently(write).catch((error: unknown) => {
        this.log.error({ err: (error as Error).message }, 'outbound update not stored in redis');
      }),
    );
  }

  private async read(kind: OutboundKind, ids: string[]): Promise<OutboundEntry[]> {
    if (ids.length === 0) return [];
    const pipeline = this.connection.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.key('out', kind, id));
    const rows = (await pipeline.exec()) ?? [];
    return rows.flatMap(([error, row], i) => {
      const hash = row as Record<string, string>;
      if (error || !hash?.status) return [];
      return [
        {
          kind,
          id: ids[i]!,
          orderKey: hash.order_key!,
          bodyJson: hash.body!,
          createdAt: Number(hash.created_at),
          status: hash.status as OutboundStatus,
          attempts: Number(hash.attempts),
          partsSent: Number(hash.parts_sent),
          ...(hash.error ? { errorJson: hash.error } : {}),
          ...(hash.pool ? { pool: hash.pool } : {}),
        },
      ];
    });
  }

  /** The keys with entries waiting: those any process may send, or those of one pool. */
  private readyKey(kind: OutboundKind, pool?: string): string {
    return this.key('outready', kind, pool ? `pool:${pool}` : undefined);
  }

  private key(name: string, kind: OutboundKind, rest?: string): string {
    return `${this.connection.prefix}${name}:${kind}${rest === undefined ? '' : `:${rest}`}`;
  }
}
