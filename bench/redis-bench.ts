// Several app processes on one Redis (store "redis"): answered messages per second with 1, 2 and 3
// processes, and the callback ack's latency against the SQLite default.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { TestRedisServer } from '../test/support/redis-server.js';
import { AppProcess } from './app-process-client.js';
import { benchConfig } from './bench-app.js';
import { nextMsgId, postCallback, type SignedRequest, textCallback } from './callback-requests.js';
import type { FakeSend } from './fake-cloud.js';
import { FakeCloud } from './fake-cloud-client.js';
import { type Percentiles, percentiles } from './stats.js';

export interface RedisBenchSettings {
  instances: number[];
  users: number;
  messagesPerUser: number;
  llmLatencyMs: number;
  /** Per process: with the LLM's latency, it bounds what one process answers per second. */
  concurrency: number;
  senders: number;
  /** The ack runs: messages posted at this rate to one process. */
  ackPerSec: number;
  ackMessages: number;
}

export interface RedisBenchResult {
  settings: RedisBenchSettings;
  /** Per instance count: every message posted over the processes in turn, first post to last reply. */
  throughput: Array<{
    instances: number;
    messages: number;
    seconds: number;
    answeredPerSec: number;
    answeredOnce: number;
    duplicated: number;
  }>;
  /** One process, paced posts: the ack's latency with each store. */
  ack: { sqlite: Percentiles; redis: Percentiles };
}

const REPLY = /^echo: bench (\d+) /;

export async function runRedisBench(settings: RedisBenchSettings, progress: (line: string) => void): Promise<RedisBenchResult> {
  const replies = new Map<string, number>();
  const onSends = (sends: FakeSend[]) => {
    for (const { content } of sends) {
      const id = REPLY.exec(content)?.[1];
      if (id !== undefined) replies.set(id, (replies.get(id) ?? 0) + 1);
    }
  };
  const redis = await TestRedisServer.start();
  const cloud = await FakeCloud.start({ llmLatencyMs: settings.llmLatencyMs, reportSends: true }, onSends);
  const total = settings.users * settings.messagesPerUser;
  const core = (store: Record<string, unknown>) =>
    benchConfig(
      { wecomUrl: cloud.wecomUrl, openaiUrl: cloud.openaiUrl },
      { concurrency: settings.concurrency, max_queue: total, rate_limit_per_minute: 0, ...store },
    );
  try {
    const throughput: RedisBenchResult['throughput'] = [];
    for (const count of settings.instances) {
      progress(`  ${count} process(es) on one redis: ${total} messages from ${settings.users} users`);
      const config = core({ store: 'redis', redis_url: redis.url, redis_prefix: `bench${count}:` });
      const apps = await Promise.all(Array.from({ length: count }, () => AppProcess.start(config)));
      const pools = apps.map((app) => new Pool(app.url, { connections: Math.ceil(settings.senders / count) }));
      replies.clear();
      const messages = buildMessages(settings.users, settings.messagesPerUser);
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: settings.senders }, async () => {
          while (next < messages.length) {
            const at = next++;
            await post(pools[at % pools.length]!, messages[at]!.request);
          }
        }),
      );
      const deadline = Date.now() + 120_000;
      while (replies.size < messages.length && Date.now() < deadline) await sleep(10);
      const seconds = (performance.now() - started) / 1000;
      await sleep(300);
      throughput.push({
        instances: count,
        messages: messages.length,
        seconds,
        answeredPerSec: replies.size / seconds,
        answeredOnce: [...replies.values()].filter((n) => n === 1).length,
        duplicated: [...replies.values()].filter((n) => n > 1).length,
      });
      for (const pool of pools) await pool.close();
      await Promise.all(apps.map((app) => app.stop()));
      await cloud.reset();
    }
    progress(`  ack latency, one process, ${settings.ackPerSec} callbacks/s: sqlite, then redis`);
    const sqlite = await ackLatency(core({}), settings);
    const shared = await ackLatency(core({ store: 'redis', redis_url: redis.url, redis_prefix: 'benchack:' }), settings);
    return { settings, throughput, ack: { sqlite, redis: shared } };
  } finally {
    await cloud.close();
    await redis.stop();
  }
}

/** Posts at a fixed rate (an open loop, like WeCom) and times each ack. */
async function ackLatency(config: Record<string, unknown>, settings: RedisBenchSettings): Promise<Percentiles> {
  const app = await AppProcess.start(config);
  const pool = new Pool(app.url, { connections: 32 });
  try {
    const messages = buildMessages(settings.ackMessages, 1);
    const times: number[] = [];
    const started = performance.now();
    const sends: Promise<void>[] = [];
    for (let i = 0; i < messages.length; i++) {
      const wait = started + (i * 1000) / settings.ackPerSec - performance.now();
      if (wait >= 1) await sleep(wait);
      const sent = performance.now();
      sends.push(post(pool, messages[i]!.request).then(() => void times.push(performance.now() - sent)));
    }
    await Promise.all(sends);
    return percentiles(times);
  } finally {
    await pool.close();
    await app.stop();
  }
}

async function post(pool: Pool, request: SignedRequest): Promise<void> {
  const status = await postCallback(pool, request);
  if (status !== 200) throw new Error(`ack ${status}`);
}

function buildMessages(users: number, perUser: number): Array<{ msgId: string; request: SignedRequest }> {
  const messages: Array<{ msgId: string; request: SignedRequest }> = [];
  for (let k = 0; k < perUser; k++) {
    for (let u = 0; u < users; u++) {
      const msgId = nextMsgId();
      messages.push({
        msgId,
        request: textCallback(`user-${String(u).padStart(4, '0')}`, msgId, `bench ${msgId} 明天下午三点的会议还开吗？`),
      });
    }
  }
  return messages;
}

export function formatRedisBench(result: RedisBenchResult): string[] {
  const s = result.settings;
  const ms = (value: number) => value.toFixed(1);
  return [
    `Several processes on one Redis (store "redis"): fake LLM ${s.llmLatencyMs} ms, concurrency ${s.concurrency} per process, ${s.users} users x ${s.messagesPerUser} messages, posted over the processes in turn`,
    ...result.throughput.map(
      (row) =>
        `  ${row.instances} process(es): ${Math.round(row.answeredPerSec)} answered/s (${row.messages} in ${row.seconds.toFixed(1)} s; ${row.answeredOnce} answered once, ${row.duplicated} twice)`,
    ),
    `  ack at ${s.ackPerSec}/s, one process: sqlite p50 ${ms(result.ack.sqlite.p50)} p99 ${ms(result.ack.sqlite.p99)} ms; redis p50 ${ms(result.ack.redis.p50)} p99 ${ms(result.ack.redis.p99)} ms`,
  ];
}
