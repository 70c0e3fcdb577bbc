import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { channelRegistry } from '../channels/registry.js';
import { pluginRegistry } from '../plugins/registry.js';
import { type RunningApp, startApp } from '../src/app/start-app.js';
import { AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN } from '../test/support/weworktop-harness.js';

export { AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN };
export const CALLBACK_PATH = '/wework_callback';

/**
 * Keep-alive of the fake WeCom and OpenAI servers. Real API servers keep idle connections for a
 * minute or more; with the fakes' 1 s default, the OpenAI SDK's fetch (undici, 2 s margin) would
 * open a new connection for every call and the benchmark would mostly measure TCP set-up.
 */
export const FAKE_KEEP_ALIVE_MS = 60_000;

/**
 * The config an operator would write, except that logs go at "warn" to a counter: at "info" the
 * app writes a line per message, and the benchmark would mostly measure the log formatter.
 */
export function benchConfig(fakes: { wecomUrl: string; openaiUrl: string }, core: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    channel_type: 'weworktop',
    open_ai_api_key: 'sk-bench-0001',
    open_ai_api_base: fakes.openaiUrl,
    max_retries: 0,
    log_level: 'warn',
    ...core,
    weworktop: {
      corp_id: CORP_ID,
      corp_secret: SECRET,
      agent_id: AGENT_ID,
      token: TOKEN,
      aes_key: AES_KEY,
      port: 0,
      host: '127.0.0.1',
      api_base: fakes.wecomUrl,
    },
  };
}

const WARNING = / (WARN|ERROR|FATAL) /;
const FRAMEWORK_MS = / answered .*framework_ms=([\d.]+)/;

/**
 * Counts warn and error lines and keeps the first few to show why (a run that warns measures
 * something else). At log_level "info" it also collects each answer's framework_ms, the time the
 * app itself took (see AnswerRunner's "answered" line), until `takeFrameworkMs` empties them.
 */
export class LogCounter {
  count = 0;
  readonly first: string[] = [];
  private frameworkMs: number[] = [];

  write(line: string): void {
    const framework = FRAMEWORK_MS.exec(line);
    if (framework) this.frameworkMs.push(Number(framework[1]));
    if (!WARNING.test(line)) return;
    this.count += 1;
    if (this.first.length < 3) this.first.push(line.trim());
  }

  takeFrameworkMs(): number[] {
    const taken = this.frameworkMs;
    this.frameworkMs = [];
    return taken;
  }
}

export interface BenchApp {
  app: RunningApp;
  url: string;
  logs: LogCounter;
  stop(): Promise<void>;
}

/** The real app (startApp from a config file in a fresh temp dir, so its sqlite store starts empty). */
export async function startBenchApp(config: Record<string, unknown>): Promise<BenchApp> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weworktop-bench-'));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const logs = new LogCounter();
  // The app reads no environment but this: `RUNTIME_TUNING=false npm run bench` measures Node's defaults.
  const env = process.env.RUNTIME_TUNING === undefined ? {} : { RUNTIME_TUNING: process.env.RUNTIME_TUNING };
  const app = await startApp({ channels: channelRegistry, plugins: pluginRegistry, argv: [], env, cwd: dir, logSink: logs });
  return {
    app,
    url: `http://127.0.0.1:${app.port}`,
    logs,
    async stop() {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
