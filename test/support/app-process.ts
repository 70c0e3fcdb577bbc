import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WeComAppClient } from '../../fakes/wecom-client.js';
import { AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN } from './weworktop-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const APP = path.join(ROOT, 'app.ts');

export interface AppProcess {
  child: ChildProcess;
  port: number;
  output(): string;
  /** Resolves once the process has exited. */
  exited(): Promise<void>;
}

/** The real entry point in a child process (kill tests); resolves once it listens. */
export function startAppProcess(configPath: string, env: NodeJS.ProcessEnv = {}): Promise<AppProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), APP, '--config', configPath], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    let output = '';
    const exited = () =>
      new Promise<void>((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', () => done())));
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const port = /listening on 127\.0\.0\.1:(\d+)/.exec(output)?.[1];
      if (port) resolve({ child, port: Number(port), output: () => output, exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`app exited (${code}) before listening:\n${output}`)));
  });
}

/** The self-built app's section (`weworktop`) against a fake WeCom, listening on a free port of 127.0.0.1. */
export function appSection(wecomUrl: string, more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    corp_id: CORP_ID,
    corp_secret: SECRET,
    agent_id: AGENT_ID,
    token: TOKEN,
    aes_key: AES_KEY,
    host: '127.0.0.1',
    port: 0,
    api_base: wecomUrl,
    ...more,
  };
}

/** `config` as config.json in a new temporary directory, its data_dir beside it: the file's path, for --config. */
export function writeConfigFile(config: Record<string, unknown>, prefix = 'weworktop-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const configPath = path.join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify({ channel_type: 'weworktop', data_dir: path.join(dir, 'data'), ...config }));
  return configPath;
}

/** WeCom posting to a spawned app's callback URL, as the test app (appSection's credentials). */
export function appClient(app: { port: number }): WeComAppClient {
  return new WeComAppClient({
    url: `http://127.0.0.1:${app.port}/wework_callback`,
    token: TOKEN,
    encodingAesKey: AES_KEY,
    corpId: CORP_ID,
    agentId: AGENT_ID,
  });
}
