import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { appSection, startAppProcess, writeConfigFile } from '../support/app-process.js';
import { closedPort } from '../support/closed-port.js';

/** Packages a feature needs that the default setup must not carry (each costs RSS on load). */
const OPTIONAL = ['prom-client', 'ws', 'ajv', 'ioredis'];

/** The packages the app loaded on both threads, from V8's coverage of a run up to /readyz. */
async function packagesLoaded(core: Record<string, unknown>): Promise<Set<string>> {
  const wecom = `http://127.0.0.1:${await closedPort()}`;
  const configPath = writeConfigFile(
    { open_ai_api_key: 'sk-test', open_ai_api_base: `${wecom}/v1`, ...core, weworktop: appSection(wecom) },
    'modules-loaded-',
  );
  const coverage = path.join(path.dirname(configPath), 'coverage');
  const app = await startAppProcess(configPath, { NODE_V8_COVERAGE: coverage });
  // Up to /readyz: the answer worker has loaded its modules too (the WeCom check fails: no server there).
  for (let tries = 0; tries < 100; tries++) {
    const body = await fetch(`http://127.0.0.1:${app.port}/readyz`).then((response) => response.text());
    if (!body.includes('starting')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  app.child.kill('SIGTERM');
  await app.exited();
  const loaded = new Set<string>();
  for (const file of readdirSync(coverage)) {
    const { result } = JSON.parse(readFileSync(path.join(coverage, file), 'utf8')) as { result: Array<{ url: string }> };
    for (const { url } of result) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
      if (name) loaded.add(name);
    }
  }
  return loaded;
}

describe('modules a setup does not use are not loaded', () => {
  test('the default setup (metrics off, no AI bot long connection, SQLite) loads none of prom-client, ws, ajv, ioredis', async () => {
    const loaded = await packagesLoaded({});
    assert.ok(loaded.has('fastify') && loaded.has('openai'), `the coverage saw the app: ${[...loaded].join(', ')}`);
    assert.deepEqual(
      OPTIONAL.filter((name) => loaded.has(name)),
      [],
    );
  });

  test('metrics: true loads prom-client', async () => {
    const loaded = await packagesLoaded({ metrics: true });
    assert.ok(loaded.has('prom-client'));
  });
});
