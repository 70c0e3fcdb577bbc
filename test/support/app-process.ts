import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
