import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { channelRegistry } from '../../../../channels/registry.js';
import { aiBotModeOf, appsOf, type WeworktopConfig, wsBotsOf } from '../../../../channels/weworktop/config.js';
import { ConfigError } from '../../../../src/config/config-error.js';
import { loadConfig } from '../../../../src/config/load-config.js';

const KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const APP = { corp_id: 'ww1234567890abcdef', corp_secret: 'app-secret-value-123', agent_id: 1000002, token: 'QDG6eK', aes_key: KEY };

async function load(weworktop: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'weworktop-ws-config-'));
  writeFileSync(path.join(cwd, 'config.json'), JSON.stringify({ channel_type: 'weworktop', weworktop }));
  const { config } = await loadConfig({ argv: [], env, cwd, channels: channelRegistry });
  return config.weworktop as WeworktopConfig;
}

async function loadError(weworktop: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    await load(weworktop, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(!error.message.includes('\n'), 'one line');
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

describe('weworktop.bot in websocket mode', () => {
  test('a BotID and a Secret alone are a whole config: the long connection, with its defaults', async () => {
    const section = await load({ bot: { bot_id: 'aibBOT01', secret: 'bot-secret-0001' } });
    assert.equal(aiBotModeOf(section.bot), 'websocket');
    assert.deepEqual(appsOf(section), [], 'no self-built app');
    assert.deepEqual(wsBotsOf(section), [
      { bot_id: 'aibBOT01', secret: 'bot-secret-0001', ws_url: 'wss://openws.work.weixin.qq.com', heartbeat_seconds: 30, stream: true },
    ]);
  });

  test('the mode follows the keys given unless set: secret without token is websocket, token is webhook', async () => {
    assert.equal(aiBotModeOf((await load({ ...APP, bot: { token: 'BotTok', aes_key: KEY, bot_id: 'aib1' } })).bot), 'webhook');
    assert.equal(
      aiBotModeOf((await load({ ...APP, bot: { token: 'BotTok', aes_key: KEY, bot_id: 'aib1', secret: 's1' } })).bot),
      'webhook',
    );
    assert.equal(
      aiBotModeOf((await load({ ...APP, bot: { mode: 'websocket', token: 'BotTok', aes_key: KEY, bot_id: 'aib1', secret: 's1' } })).bot),
      'websocket',
    );
    assert.equal(aiBotModeOf((await load(APP)).bot), 'off');
  });

  test("the environment: WEWORKTOP_BOT_* and CoW's WECOM_BOT_ID / WECOM_BOT_SECRET", async () => {
    const ours = await load(
      {},
      {
        WEWORKTOP_BOT_ID: 'aibENV1',
        WEWORKTOP_BOT_SECRET: 'env-secret-1',
        WEWORKTOP_BOT_HEARTBEAT_SECONDS: '10',
        WEWORKTOP_BOT_WS_URL: 'ws://127.0.0.1:9/',
      },
    );
    assert.deepEqual(wsBotsOf(ours)[0], {
      bot_id: 'aibENV1',
      secret: 'env-secret-1',
      ws_url: 'ws://127.0.0.1:9/',
      heartbeat_seconds: 10,
      stream: true,
    });
    const cows = await load({ bot: { bot_id: 'aibFILE' } }, { WECOM_BOT_SECRET: 'cow-env-secret' });
    assert.deepEqual([cows.bot.bot_id, cows.bot.secret], ['aibFILE', 'cow-env-secret']);
  });

  test('several bots: bots[] beside bot, each checked and named by its index; a BotID twice is refused', async () => {
    const section = await load({ bot: { bot_id: 'aib1', secret: 's1' }, bots: [{ bot_id: 'aib2', secret: 's2' }] });
    assert.deepEqual(
      wsBotsOf(section).map((bot) => bot.bot_id),
      ['aib1', 'aib2'],
    );
    assert.equal(
      await loadError({ bot: { bot_id: 'aib1', secret: 's1' }, bots: [{ bot_id: 'aib1', secret: 's2' }] }),
      'config error: weworktop.bots[0].bot_id: expected a BotID no other bot of this process has (WeCom keeps one connection per bot), found "aib1" again',
    );
    assert.match(
      await loadError({ bots: [{ bot_id: 'aib2' }] }),
      /^config error: weworktop\.bots: expected bots\[0\]\.secret to be the bot's long-connection Secret, found nothing$/,
    );
    assert.match(
      await loadError({ bots: [{ bot_id: 'aib2', secret: 's', port: 1 }] }),
      /^config error: weworktop\.bots\[0\]\.port: expected a key an app or bot may set/,
    );
    assert.match(await loadError({ bots: 5 }), /expected a list of \{bot_id, secret\}/);
  });

  test('keys that do not fit together stop start-up with one line naming the key', async () => {
    assert.equal(
      await loadError({ bot: { bot_id: 'aib1' } }),
      "config error: weworktop.bot.secret: expected a value (the AI bot's long connection needs its BotID and Secret, shown once in the console), found nothing",
    );
    assert.equal(
      await loadError({ bot: { secret: 's1' } }),
      "config error: weworktop.bot.bot_id: expected a value (the AI bot's long connection needs its BotID and Secret), found nothing",
    );
    assert.equal(
      await loadError({ bot: { mode: 'webhook', bot_id: 'aib1', secret: 's1' } }),
      'config error: weworktop.bot.token: expected a value (the AI bot needs both token and aes_key), found nothing',
    );
    assert.match(
      await loadError({ bot: { mode: 'socket' } }),
      /^config error: weworktop\.bot\.mode: expected "webhook" \(the callback URL\) or "websocket"/,
    );
    assert.match(
      await loadError({ bot: { bot_id: 'aib1', secret: 's1', ws_url: 'https://openws.work.weixin.qq.com' } }),
      /weworktop\.bot\.ws_url: expected a ws:\/\/ or wss:\/\/ URL/,
    );
    assert.equal(
      await loadError({ corp_id: 'ww1', bot: { bot_id: 'aib1', secret: 's1' } }),
      'config error: weworktop.corp_secret: expected a value (the self-built app needs corp_id, corp_secret, agent_id, token and aes_key; for the AI bot alone, leave all five out), found nothing',
    );
  });

  test('neither an app nor a bot: one line that says what either needs', async () => {
    assert.equal(
      await loadError({}),
      'config error: weworktop: expected a self-built app (corp_id, corp_secret, agent_id, token, aes_key) or an AI bot (bot.bot_id and bot.secret: the long connection, no public server needed; README: No public server), found neither',
    );
  });
});
