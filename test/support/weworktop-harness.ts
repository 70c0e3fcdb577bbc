import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { channelRegistry } from '../../channels/registry.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../fakes/fake-openai.js';
import { type FakeWeCom, startFakeWeCom } from '../../fakes/fake-wecom.js';
import { WeComAppClient } from '../../fakes/wecom-client.js';
import { pluginRegistry } from '../../plugins/registry.js';
import { type RunningApp, startApp } from '../../src/app/start-app.js';

export const CORP_ID = 'wx5823bf96d3bd56c7';
export const AGENT_ID = '1000002';
export const SECRET = 'app-secret-for-tests-0001';
export const TOKEN = 'QDG6eK';
export const AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';

export interface WeworktopHarness {
  app: RunningApp;
  /** The port the app listens on. */
  port: number;
  wecom: FakeWeCom;
  openai: FakeOpenAI;
  /** Talks to the app's callback exactly as WeCom does. */
  client: WeComAppClient;
  baseUrl: string;
  logs: string[];
  /** The inbox and sessions live here; pass it to the next start to simulate a restart. */
  dataDir: string;
  stop(): Promise<void>;
}

export interface WeworktopHarnessOptions {
  /** Root config keys (merged over the defaults below). */
  config?: Record<string, unknown>;
  /** Keys of the weworktop section. */
  weworktop?: Record<string, unknown>;
  extraApps?: Array<{ agentId: string; secret: string }>;
  tokenTtlSeconds?: number;
  /** Reuse a data_dir (the inbox and sessions), e.g. across a restart. */
  dataDir?: string;
  /** Reuse running fakes (e.g. across a restart). */
  wecom?: FakeWeCom;
  openai?: FakeOpenAI;
  /** Rewrites the whole config before it is written (e.g. into CoW's flat shape). */
  shape?: (config: Record<string, unknown>) => Record<string, unknown>;
  /** The app's environment variables. */
  env?: NodeJS.ProcessEnv;
}

/** The real app (config file, pipeline, fastify server on a free port) against fake WeCom and OpenAI. */
export async function startWeworktop(options: WeworktopHarnessOptions = {}): Promise<WeworktopHarness> {
  const wecom =
    options.wecom ??
    (await startFakeWeCom({
      corpId: CORP_ID,
      apps: [{ agentId: AGENT_ID, secret: SECRET }, ...(options.extraApps ?? [])],
      tokenTtlSeconds: options.tokenTtlSeconds ?? 7200,
    }));
  const openai = options.openai ?? (await startFakeOpenAI());
  const dir = mkdtempSync(path.join(tmpdir(), 'weworktop-e2e-'));
  const config = {
    channel_type: 'weworktop',
    open_ai_api_key: 'sk-test-openai-key-0001',
    open_ai_api_base: openai.url,
    max_retries: 0,
    character_desc: '',
    log_level: 'debug',
    data_dir: options.dataDir ?? path.join(dir, 'data'),
    // A test's stop should not wait the production 20 s for an answer in flight.
    shutdown_timeout: 2,
    ...options.config,
    weworktop: {
      corp_id: CORP_ID,
      corp_secret: SECRET,
      agent_id: AGENT_ID,
      token: TOKEN,
      aes_key: AES_KEY,
      port: 0,
      host: '127.0.0.1',
      api_base: wecom.url,
      api_retry_delay_ms: 10,
      ...options.weworktop,
    },
  };
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(options.shape ? options.shape(config) : config));
  const logs: string[] = [];
  const closeFakes = async (): Promise<void> => {
    if (!options.wecom) await wecom.close();
    if (!options.openai) await openai.close();
  };
  // A start-up that fails (config tests) must not leave the fakes listening: the test file would never exit.
  const app = await startApp({
    channels: channelRegistry,
    plugins: pluginRegistry,
    argv: [],
    env: options.env ?? {},
    cwd: dir,
    logSink: { write: (line) => logs.push(line) },
  }).catch(async (error: unknown) => {
    await closeFakes();
    throw error;
  });
  const baseUrl = `http://127.0.0.1:${app.port}`;
  const client = new WeComAppClient({
    url: `${baseUrl}/wework_callback`,
    token: TOKEN,
    encodingAesKey: AES_KEY,
    corpId: CORP_ID,
    agentId: AGENT_ID,
  });
  return {
    app,
    port: app.port,
    wecom,
    openai,
    client,
    baseUrl,
    logs,
    dataDir: config.data_dir,
    async stop() {
      await app.stop();
      await closeFakes();
    },
  };
}

/**
 * Waits until `check` passes (polling), for effects that happen after the ack. Give assert.ok a
 * message inside it: without one, Node re-parses the test file to build the message on every
 * failed poll, which takes seconds on files with CJK text and starves the event loop.
 */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
