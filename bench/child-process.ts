import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Forks a sibling module of the bench (`name` without extension: the .ts under tsx, the compiled
 * .js under `npm run bench`) with IPC, and waits for its first message, which must be `ready`.
 */
export async function forkBenchProcess<Ready extends { type: 'ready' }>(
  name: string,
  args: string[],
  execArgv: string[] = [],
): Promise<{ child: ChildProcess; ready: Ready }> {
  const here = fileURLToPath(import.meta.url);
  // The child keeps this process's execArgv (the tsx loader, when there is one).
  const child = fork(path.join(path.dirname(here), `${name}${path.extname(here)}`), args, {
    execArgv: [...process.execArgv, ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
    child.once('message', (report: { type: string }) =>
      report.type === 'ready' ? resolve(report as Ready) : reject(new Error(`${name}: unexpected ${report.type}`)),
    );
  });
  child.removeAllListeners('exit');
  return { child, ready };
}

/** Sends `request` and resolves with the child's next message of type `answer`. */
export function ask<T>(child: ChildProcess, request: object, answer: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (report: { type: string }) => {
      if (report.type !== answer) return;
      child.off('message', onMessage);
      resolve(report as T);
    };
    child.on('message', onMessage);
    child.send(request);
  });
}

/** Asks the child to stop and waits for it to exit. */
export async function stopChild(child: ChildProcess, request: object = { type: 'stop' }): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send(request);
  await exited;
}
