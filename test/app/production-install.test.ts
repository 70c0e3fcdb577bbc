import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type FakeOpenAI, startFakeOpenAI } from '../../fakes/fake-openai.js';
import { type FakeWeCom, startFakeWeCom } from '../../fakes/fake-wecom.js';
import { appClient, appSection } from '../support/app-process.js';
import { AGENT_ID, CORP_ID, SECRET } from '../support/weworktop-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CI = Boolean(process.env.CI) && process.env.CI !== 'false';
const npmAvailable = spawnSync('npm', ['--version'], { stdio: 'ignore' }).status === 0;

/** The Dockerfile's stages: each one's RUN commands and COPY lines, in order. */
function dockerfileStages(): Array<{ name: string; runs: string[]; copies: Array<{ from?: string; src: string[]; dest: string }> }> {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const stages: ReturnType<typeof dockerfileStages> = [];
  for (const line of text.split('\n').map((each) => each.trim())) {
    const from = /^FROM \S+(?: AS (\S+))?/i.exec(line);
    if (from) stages.push({ name: from[1] ?? 'runtime', runs: [], copies: [] });
    const run = /^RUN (.+)$/.exec(line);
    if (run) stages.at(-1)!.runs.push(run[1]!);
    const copy = /^COPY (?:--from=(\S+) )?(.+) (\S+)$/.exec(line);
    if (copy) stages.at(-1)!.copies.push({ ...(copy[1] ? { from: copy[1] } : {}), src: copy[2]!.split(/\s+/), dest: copy[3]! });
  }
  return stages;
}

/** .dockerignore's patterns (root-relative paths, or `*.ext` at the root), as the build context leaves them out. */
function dockerIgnored(): (relative: string) => boolean {
  const patterns = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  return (relative) =>
    patterns.some((pattern) =>
      pattern.startsWith('*.')
        ? !relative.includes('/') && relative.endsWith(pattern.slice(1))
        : relative === pattern || relative.startsWith(`${pattern}/`),
    );
}

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv = {}): void {
  const result = spawnSync('sh', ['-c', command], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 180_000 });
  assert.equal(result.status, 0, `${command} in ${cwd} failed:\n${result.stdout}\n${result.stderr}`);
}

/**
 * better-sqlite3's install downloads its prebuilt binary from GitHub, as in the image's build;
 * this machine may not reach GitHub, where it would compile SQLite for a minute instead. The
 * binary the dev install has is handed to prebuild-install as a local prebuild: the same file.
 */
function localPrebuilds(into: string): NodeJS.ProcessEnv {
  const sqlite = path.join(ROOT, 'node_modules/better-sqlite3');
  if (!existsSync(path.join(sqlite, 'build/Release/better_sqlite3.node'))) return {};
  const version = (JSON.parse(readFileSync(path.join(sqlite, 'package.json'), 'utf8')) as { version: string }).version;
  const archive = path.join(
    into,
    `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`,
  );
  const packed = spawnSync('tar', ['-czf', archive, '-C', sqlite, 'build/Release/better_sqlite3.node']);
  return packed.status === 0 ? { npm_config_better_sqlite3_local_prebuilds: into } : {};
}

/** Runs a command of the installed app; resolves on the first stdout line `pattern` matches. */
function started(child: ChildProcess, pattern: RegExp, output: { text: string }): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = pattern.exec(output.text);
      if (found) resolve(found);
    };
    child.stdout!.on('data', (chunk) => {
      output.text += chunk;
      check();
    });
    child.stderr!.on('data', (chunk) => (output.text += chunk));
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}:\n${output.text}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

describe("the production install (the Dockerfile's, without Docker)", {
  skip: !npmAvailable && !CI && 'npm is not available',
  timeout: 300_000,
}, () => {
  const work = mkdtempSync(path.join(tmpdir(), 'weworktop-prod-'));
  const buildDir = path.join(work, 'build');
  const appDir = path.join(work, 'app');
  const stages = dockerfileStages();
  const stage = (name: string) => stages.find((each) => each.name === name) ?? assert.fail(`no stage ${name} in the Dockerfile`);
  // Production conditions as the image sets them (ENV NODE_ENV, DATA_DIR), and nothing of this process's.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', DATA_DIR: path.join(work, 'data') };
  let wecom: FakeWeCom;
  let openai: FakeOpenAI;

  before(async () => {
    // Build stage: the context without what .dockerignore leaves out, the dev dependencies (this
    // checkout's), then the stage's last command (npm run build).
    const ignored = dockerIgnored();
    cpSync(ROOT, buildDir, { recursive: true, filter: (source) => !ignored(path.relative(ROOT, source)) });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(buildDir, 'node_modules'));
    sh(stage('build').runs.at(-1)!, buildDir);

    // Deps stage: package.json and the lock, then its command (npm ci --omit=dev) as it stands.
    mkdirSync(appDir);
    for (const copy of stage('deps').copies) for (const file of copy.src) cpSync(path.join(buildDir, file), path.join(appDir, file));
    const prebuilds = path.join(work, 'prebuilds');
    mkdirSync(prebuilds);
    for (const command of stage('deps').runs) sh(command, appDir, localPrebuilds(prebuilds));

    // Runtime stage: what it copies from the build.
    for (const copy of stage('runtime').copies.filter((each) => each.from === 'build')) {
      cpSync(path.join(buildDir, path.relative('/app', copy.src[0]!)), path.join(appDir, copy.dest), { recursive: true });
    }
    wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] });
    openai = await startFakeOpenAI();
  });

  after(async () => {
    await wecom?.close();
    await openai?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const config = () => {
    const file = path.join(work, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        channel_type: 'weworktop',
        open_ai_api_key: 'sk-production-0001',
        open_ai_api_base: openai.url,
        metrics: true,
        weworktop: appSection(wecom.url),
      }),
    );
    return file;
  };

  test('the install holds the production dependencies only', () => {
    for (const present of ['better-sqlite3', 'fastify', 'prom-client', '@ffmpeg-installer/ffmpeg'])
      assert.ok(existsSync(path.join(appDir, 'node_modules', present)), present);
    for (const absent of ['typescript', 'tsx', '@biomejs/biome', 'fast-check'])
      assert.ok(!existsSync(path.join(appDir, 'node_modules', absent)), `${absent} is a dev dependency`);
  });

  test('weworktop start: healthy /healthz, a callback answered through the answer worker, /metrics, exit 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['bin/weworktop.js', 'start', '--config', config()], { cwd: appDir, env });
    const output = { text: '' };
    try {
      const [, port] = await started(child, /listening on 127\.0\.0\.1:(\d+)/, output);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const client = appClient({ port: Number(port) });
      assert.equal((await client.sendText('zhangsan', 'hello from production')).status, 200);
      const [sent] = await wecom.waitForSent(1, 15_000);
      assert.deepEqual(sent!.body.text, { content: 'echo: hello from production' });
      assert.match(
        await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
        /^weworktop_messages_received_total\{result="accepted"\} 1$/m,
      );
      assert.ok(existsSync(path.join(env.DATA_DIR, 'weworktop.db')), 'the inbox is in DATA_DIR');
      child.kill('SIGTERM');
      assert.equal(await exited(child), 0, output.text);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('weworktop doctor: every check passes against the fakes, ffmpeg included', async () => {
    // Not spawnSync: the fakes it calls answer from this process's event loop.
    const child = spawn(process.execPath, ['bin/weworktop.js', 'doctor', '--config', config(), '--json'], { cwd: appDir, env });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stdout += chunk));
    assert.equal(await exited(child), 0, stdout);
    const { checks } = JSON.parse(stdout) as { checks: Array<{ name: string; status: string }> };
    assert.deepEqual(
      checks.filter((check) => check.status === 'fail'),
      [],
    );
    assert.equal(checks.find((check) => check.name === 'ffmpeg')?.status, 'pass');
  });

  test('node app.js --demo runs without the dev dependencies (its fakes are compiled in): healthy, the page served', async () => {
    const child = spawn(process.execPath, ['app.js', '--demo', '--page-port', '0'], { cwd: appDir, env });
    const output = { text: '' };
    try {
      const [, page, port] = await started(
        child,
        /Open the chat page:\s+(http:\/\/127\.0\.0\.1:\d+\/)[\s\S]*Callbacks go to http:\/\/127\.0\.0\.1:(\d+)\//,
        output,
      );
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      assert.match(await (await fetch(page!)).text(), /weworktop simulator/);
      child.kill('SIGTERM');
      assert.equal(await exited(child), 0, output.text);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
