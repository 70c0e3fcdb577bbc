import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const APP = path.join(ROOT, 'app.ts');

/** Runs the real entry point (as `node app.js` does, through tsx) in `cwd` with `input` on stdin. */
function runApp(cwd: string, input: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), APP], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'weworktop-app-'));

describe('node app.js', () => {
  test('without a config file it starts the WeCom simulator, prints the page URL, serves the page and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), APP, '--page-port', '0'], {
      cwd: tempDir(),
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const check = () => {
          const found = /Open the chat page:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
          if (found) resolve(found[1]!);
        };
        child.stdout.on('data', check);
        void exited.then((code) => reject(new Error(`exited with ${code} before printing the URL: ${stdout}${stderr}`)));
      });
      assert.match(stdout, /offline responder \(not an LLM\)/);
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await page.text(), /weworktop simulator/);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      assert.match(stdout, /shutting down reason=SIGTERM/);
      assert.match(stdout, /\[app\] stopped/);
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  });

  test("without a config file but with WeCom credentials in the environment (CoW's names) it serves WeCom, not the simulator", async () => {
    const key = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
    const env = {
      WECHATCOM_CORP_ID: 'ww1',
      WECHATCOMAPP_SECRET: 'app-secret-0001',
      WECHATCOMAPP_AGENT_ID: '1000002',
      WECHATCOMAPP_TOKEN: 'QDG6eK',
      WECHATCOMAPP_AES_KEY: key,
      WECHATCOMAPP_PORT: '0',
      WEWORKTOP_HOST: '127.0.0.1',
      WEWORKTOP_API_BASE: 'http://127.0.0.1:9',
      WEWORKTOP_API_RETRIES: '0',
      INBOX_STORE: 'memory',
      SESSION_STORE: 'memory',
    };
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), APP], {
      cwd: tempDir(),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on(
          'data',
          () => stdout.includes('start-up check') && stdout.includes('check it from this machine first') && resolve(),
        );
        void exited.then((code) => reject(new Error(`exited with ${code}: ${stdout}`)));
      });
      assert.match(stdout, /no channel_type set, but weworktop credentials are: starting the weworktop channel/);
      assert.match(stdout, /ERROR .*start-up check: no access token, so no reply can be sent: WeCom gettoken failed: errcode -1: network/);
      assert.doesNotMatch(stdout, /Open the chat page/);
      // SIGTERM is handled once start-up has returned, just after its last line.
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stdout);
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  });

  test('with channel_type "terminal" it runs the terminal channel and answers offline', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ channel_type: 'terminal' }));
    const result = await runApp(dir, '你好\ngroup:产品群 #chatid\n');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /weworktop terminal/);
    assert.match(result.stdout, /config\.json\.example/, 'says how to configure WeCom');
    assert.match(result.stdout, /bot> \[离线模式\]/);
    assert.match(result.stdout, /问题是：「你好」/);
    assert.match(result.stdout, /bot> 本群的 chat id：产品群/);
    assert.doesNotMatch(result.stdout, / (INFO|WARN) /, 'log lines stay off the chat');
    assert.match(result.stderr, /INFO +\[app\] starting weworktop/);
  });

  test('a bad config stops start-up with one line naming the key, and a non-zero exit', async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        channel_type: 'weworktop',
        weworktop: { corp_id: 'ww1', corp_secret: 'super-secret-value', agent_id: 1000002, token: 'tok', aes_key: 'bad' },
      }),
    );
    const result = await runApp(dir, '');
    assert.notEqual(result.code, 0);
    assert.equal(
      result.stderr.trim(),
      'config error: weworktop.aes_key: expected the 43-character EncodingAESKey from the WeCom console, found a value of 3 characters',
    );
  });

  test('an unknown plugin or bad plugin option is a config error too', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ plugins: ['nope'] }));
    assert.equal(
      (await runApp(dir, '')).stderr.trim(),
      'config error: plugins: expected names from "banwords", "keyword", found string "nope"',
    );
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ plugins: ['banwords'], plugin_config: { banwords: { words: 'x' } } }));
    // Plugin options are checked where plugins load, after the terminal channel's log lines (stderr) began.
    assert.equal(
      (await runApp(dir, '')).stderr.trim().split('\n').at(-1),
      'config error: plugin_config.banwords.words: expected a list of strings, found string "x"',
    );
  });

  test('secrets never reach the log', async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        open_ai_api_key: 'sk-never-log-this-key',
        open_ai_api_base: 'http://127.0.0.1:9/v1',
        max_retries: 0,
        log_level: 'debug',
        character_desc: 'sk-never-log-this-key appears here',
      }),
    );
    const result = await runApp(dir, 'hi\n');
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout + result.stderr, /sk-never-log-this-key/);
  });

  describe('a data_dir or database that cannot be used stops start-up with one line and exit code 1', () => {
    const cases: Array<{ what: string; arrange: (dir: string) => string; expected: (dir: string) => string }> = [
      {
        what: 'a file where data_dir should be',
        arrange: (dir) => (writeFileSync(path.join(dir, 'data'), 'not a folder'), './data'),
        expected: (dir) =>
          `start-up failed: data_dir "./data" (${dir}/data) cannot be created or written: ${dir}/data is a file, not a folder (EEXIST); fix that or set data_dir to a folder this user can write`,
      },
      {
        what: "a file in the way of data_dir's parent (ENOTDIR)",
        arrange: (dir) => (writeFileSync(path.join(dir, 'state'), 'not a folder'), './state/bot/data'),
        expected: (dir) =>
          `start-up failed: data_dir "./state/bot/data" (${dir}/state/bot/data) cannot be created or written: ${dir}/state is a file, not a folder (ENOTDIR); fix that or set data_dir to a folder this user can write`,
      },
      {
        what: 'weworktop.db that is not a database',
        arrange: (dir) => (
          mkdirSync(path.join(dir, 'data')),
          writeFileSync(
            path.join(dir, 'data', 'weworktop.db'),
            'these bytes are not an SQLite database, whatever the name says. '.repeat(100),
          ),
          './data'
        ),
        expected: (dir) =>
          `start-up failed: ${dir}/data/weworktop.db is not an SQLite database (file is not a database (SQLITE_NOTADB)): move it aside (mv ${dir}/data/weworktop.db ${dir}/data/weworktop.db.broken) and start again, a new one is created; the pending messages in it are lost, none could be read`,
      },
      {
        what: 'sessions.db that is not a database',
        arrange: (dir) => (
          mkdirSync(path.join(dir, 'data')), writeFileSync(path.join(dir, 'data', 'sessions.db'), 'x'.repeat(4096)), './data'
        ),
        expected: (dir) =>
          `start-up failed: ${dir}/data/sessions.db is not an SQLite database (file is not a database (SQLITE_NOTADB)): move it aside (mv ${dir}/data/sessions.db ${dir}/data/sessions.db.broken) and start again, a new one is created; the conversations in it are lost, none could be read`,
      },
      {
        what: 'weworktop.db that cannot be opened (a folder of that name)',
        arrange: (dir) => (mkdirSync(path.join(dir, 'data', 'weworktop.db'), { recursive: true }), './data'),
        expected: (dir) =>
          `start-up failed: cannot open ${dir}/data/weworktop.db (unable to open database file (SQLITE_CANTOPEN)): check that data_dir "./data" is a folder this user can write and that weworktop.db in it is a file`,
      },
    ];
    for (const { what, arrange, expected } of cases) {
      test(what, async () => {
        const dir = tempDir();
        writeFileSync(
          path.join(dir, 'config.json'),
          JSON.stringify({ channel_type: 'terminal', data_dir: arrange(dir), session_store: 'sqlite' }),
        );
        const result = await runApp(dir, '');
        assert.equal(result.code, 1, result.stdout + result.stderr);
        // The terminal channel logs on stderr: the error is its last line, and the only error.
        assert.equal(result.stderr.split('\n').at(-2), expected(dir));
        assert.doesNotMatch(result.stdout + result.stderr, /ERROR|\n\s+at /, result.stderr);
      });
    }
  });
});
