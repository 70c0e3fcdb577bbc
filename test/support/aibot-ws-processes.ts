import { type FakeOpenAI, startFakeOpenAI } from '../../fakes/fake-openai.js';
import type { FakeWeComWs } from '../../fakes/fake-wecom-ws.js';
import { BOT_ID, BOT_SECRET, startFakeBots } from './aibot-ws-harness.js';
import { type AppProcess, startAppProcess, writeConfigFile } from './app-process.js';
import { TestRedisServer } from './redis-server.js';

/** The log line of the process that took the bot's long connection. */
export const HOLDING = /holding it: this process serves it now name=bot:/;

export interface TwoProcesses {
  ws: FakeWeComWs;
  openai: FakeOpenAI;
  apps: AppProcess[];
}

/**
 * Two app processes on one redis-server (store "redis", lease 2 s), both configured with the fake's
 * AI bot on its long connection; resolves once the bot is subscribed. `cleanup` gets the steps
 * that stop it all, in the order to push them.
 */
export async function startTwoOnRedis(cleanup: Array<() => unknown>, core: Record<string, unknown> = {}): Promise<TwoProcesses> {
  const redis = await TestRedisServer.start();
  const ws = await startFakeBots();
  const openai = await startFakeOpenAI();
  cleanup.push(
    () => redis.stop(),
    () => ws.close(),
    () => openai.close(),
  );
  const configPath = writeConfigFile(
    {
      open_ai_api_key: 'sk-test-openai-key-0001',
      open_ai_api_base: openai.url,
      max_retries: 0,
      log_level: 'info',
      store: 'redis',
      redis_url: redis.url,
      lease_seconds: 2,
      ...core,
      weworktop: { host: '127.0.0.1', port: 0, bot: { bot_id: BOT_ID, secret: BOT_SECRET, ws_url: ws.url } },
    },
    'weworktop-ws-redis-',
  );
  const apps = await Promise.all([startAppProcess(configPath), startAppProcess(configPath)]);
  for (const app of apps) cleanup.push(() => app.child.kill('SIGKILL'));
  await ws.waitFor(() => ws.subscribed(BOT_ID), 'the first subscription', 15_000);
  return { ws, openai, apps };
}
