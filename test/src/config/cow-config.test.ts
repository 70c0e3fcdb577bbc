import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { channelRegistry } from '../../../channels/registry.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/cow');
/** CoW's config-template.json and all 162 keys of its config.py (available_setting), commit 55aaf60 of zhayujie/chatgpt-on-wechat. */
const cowTemplate = (): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(FIXTURES, 'config-template.json'), 'utf8')) as Record<string, unknown>;
const cowAllKeys = (): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(FIXTURES, 'available-settings.json'), 'utf8')) as Record<string, unknown>;

const KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
/** The WeCom keys a CoW user fills in for wechatcom_app. */
const cowWeCom = {
  wechatcom_corp_id: 'ww1234567890abcdef',
  wechatcomapp_secret: 'app-secret-value-123',
  wechatcomapp_agent_id: '1000002',
  wechatcomapp_token: 'QDG6eK',
  wechatcomapp_aes_key: KEY,
};

async function load(content: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'weworktop-cow-'));
  writeFileSync(path.join(cwd, 'config.json'), JSON.stringify(content));
  return loadConfig({ argv: [], env, cwd, channels: channelRegistry });
}

async function loadError(content: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    await load(content, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(!error.message.includes('\n'), 'one line');
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

const section = (config: Record<string, unknown>) => config.weworktop as Record<string, unknown>;

describe('a CoW config', () => {
  test("CoW's template with its WeCom keys filled in runs weworktop with the user's DeepSeek model, and says so", async () => {
    const { config, notices, warnings, llm } = await load({
      ...cowTemplate(),
      channel_type: 'wechatcom_app',
      deepseek_api_key: 'sk-ds-0001',
      ...cowWeCom,
    });
    assert.equal(config.channel_type, 'weworktop');
    assert.equal(section(config).corp_id, 'ww1234567890abcdef');
    assert.deepEqual(
      [config.open_ai_api_key, config.open_ai_api_base, config.model],
      ['sk-ds-0001', 'https://api.deepseek.com/v1', 'deepseek-v4-flash'],
    );
    assert.equal(llm?.provider, 'deepseek');
    assert.deepEqual(notices, [
      'channel_type "wechatcom_app" (CoW\'s WeCom self-built app) runs the weworktop channel',
      "config from CoW's WeCom app: port 9898, weworktop.cow_callback_path true (CoW's defaults, so the URL saved in the WeCom console keeps working)",
      'LLM: DeepSeek at https://api.deepseek.com/v1, model deepseek-v4-flash (by model, as CoW does)',
    ]);
    assert.equal(config.port, 9898);
    assert.equal(section(config).cow_callback_path, true);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    // wecom_bot_id / wecom_bot_secret are read (the AI bot's long connection), so they are not among the unused keys.
    assert.match(warnings[0]!, /^\d+ config keys are not used by weworktop and ignored; no equivalent: linkai_app_code, feishu_app_id/);
    assert.doesNotMatch(warnings[0]!, /wecom_bot/);
  });

  test("all 162 keys of CoW's config.py: one warning line for the unknown ones, with the equivalents", async () => {
    const { warnings } = await load(cowAllKeys());
    const unknown = warnings.filter((line) => line.includes('not used by weworktop'));
    assert.equal(unknown.length, 1, warnings.join('\n'));
    assert.ok(!unknown[0]!.includes('\n'));
    assert.match(unknown[0]!, /^\d{2,3} config keys are not used by weworktop and ignored; write instead: /);
    for (const equivalent of [
      'subscribe_msg → weworktop.welcome_message',
      'debug → log_level: "debug"',
      'image_create_size → image_size',
      'appdata_dir → data_dir',
    ])
      assert.ok(unknown[0]!.includes(equivalent), equivalent);
    assert.match(unknown[0]!, /no equivalent: .*, … \(\d+ more\)$/);
  });

  test('CoW\'s template as shipped (channel "weixin", no WeCom keys) stops with a line naming the channels', async () => {
    assert.equal(
      await loadError(cowTemplate()),
      'config error: channel_type: expected one of "terminal", "weworktop" (or CoW\'s "wechatcom_app", "wework", "wecom_bot"), found string "weixin" (CoW\'s personal WeChat channel, which weworktop does not have)',
    );
  });

  test('channel "weixin" with WeCom keys filled in, or no channel_type at all: weworktop starts and says why', async () => {
    const weixin = await load({ ...cowTemplate(), ...cowWeCom });
    assert.equal(weixin.config.channel_type, 'weworktop');
    assert.equal(
      weixin.notices[0],
      'channel_type "weixin" is CoW\'s personal WeChat channel, which weworktop does not have; weworktop credentials are set, so the weworktop channel starts',
    );
    const none = await load({ weworktop: { corp_id: 'ww1', corp_secret: 's', agent_id: 1000002, token: 'QDG6eK', aes_key: KEY } });
    assert.equal(none.config.channel_type, 'weworktop');
    assert.equal(none.notices[0], 'no channel_type set, but weworktop credentials are: starting the weworktop channel');
    const fromEnv = await load(
      {},
      {
        WECHATCOM_CORP_ID: 'ww1',
        WECHATCOMAPP_SECRET: 's',
        WECHATCOMAPP_AGENT_ID: '1000002',
        WECHATCOMAPP_TOKEN: 'QDG6eK',
        WECHATCOMAPP_AES_KEY: KEY,
      },
    );
    assert.equal(fromEnv.config.channel_type, 'weworktop', "CoW's environment variables count");
    assert.equal((await load({})).config.channel_type, 'terminal');
  });

  test('CoW\'s channel list form, and "wework" / "wecom_bot"', async () => {
    const listed = await load({ channel_type: 'web, wechatcom_app', ...cowWeCom });
    assert.equal(listed.config.channel_type, 'weworktop');
    assert.match(listed.notices[0]!, /\(web ignored: not a channel here\)$/);
    assert.equal((await load({ channel_type: ['wechatcom_app'], ...cowWeCom })).config.channel_type, 'weworktop');
    assert.match(
      (await load({ channel_type: 'wework', ...cowWeCom })).notices[0]!,
      /^channel_type "wework" was CoW's hook into the WeCom PC client/,
    );
    assert.equal(
      await loadError({ channel_type: 'wecom_bot', ...cowWeCom }),
      'config error: channel_type: expected the AI bot\'s BotID and Secret (wecom_bot_id and wecom_bot_secret, or weworktop.bot.bot_id and weworktop.bot.secret: its long connection; README: No public server), found string "wecom_bot" without them',
    );
    const longConnection = await load({ channel_type: 'wecom_bot', wecom_bot_id: 'aibBOT01', wecom_bot_secret: 'bot-secret-0001' });
    const bot = (config: Record<string, unknown>) => section(config).bot as Record<string, unknown>;
    assert.equal(longConnection.config.channel_type, 'weworktop');
    assert.deepEqual(
      [bot(longConnection.config).bot_id, bot(longConnection.config).secret, bot(longConnection.config).mode],
      ['aibBOT01', 'bot-secret-0001', ''],
    );
    assert.equal(longConnection.config.port, 5001, "CoW's AI bot keys bring none of its WeCom app's defaults");
    assert.match(longConnection.notices[0]!, /^channel_type "wecom_bot" \(CoW's AI bot\) runs the weworktop channel/);
    const fromEnv = await load({ channel_type: 'wecom_bot' }, { WECOM_BOT_ID: 'aibBOT02', WECOM_BOT_SECRET: 'bot-secret-0002' });
    assert.deepEqual([bot(fromEnv.config).bot_id, bot(fromEnv.config).secret], ['aibBOT02', 'bot-secret-0002']);
    const webhook = await load({
      channel_type: 'wecom_bot',
      weworktop: {
        corp_id: 'ww1',
        corp_secret: 's',
        agent_id: 1000002,
        token: 'QDG6eK',
        aes_key: KEY,
        bot: { token: 'BotTok', aes_key: KEY },
      },
    });
    assert.equal(webhook.config.channel_type, 'weworktop');
    assert.equal(webhook.config.port, 5001, 'the AI bot has no CoW URL to keep');
  });

  test("errors name the key the user wrote: CoW's name, or the environment variable", async () => {
    assert.equal(
      await loadError({ channel_type: 'wechatcom_app', ...cowWeCom, wechatcomapp_aes_key: 'short' }),
      'config error: wechatcomapp_aes_key (weworktop.aes_key): expected the 43-character EncodingAESKey from the WeCom console, found a value of 5 characters',
    );
    const { wechatcomapp_secret: _omit, ...withoutSecret } = cowWeCom;
    assert.equal(
      await loadError({ channel_type: 'wechatcom_app', ...withoutSecret }),
      'config error: wechatcomapp_secret (weworktop.corp_secret): expected a value (required when channel_type is "weworktop"), found nothing',
    );
    assert.equal(
      await loadError({ channel_type: 'wechatcom_app', ...cowWeCom }, { WECHATCOMAPP_TOKEN: 'bad-token' }),
      'config error: WECHATCOMAPP_TOKEN (weworktop.token): expected the Token from the WeCom console (letters and digits, at most 32), found a value of 9 characters with "-" at position 4, a character WeCom never puts in a Token',
    );
    assert.match(
      await loadError({
        weworktop: { corp_id: 'ww1', corp_secret: 's', agent_id: 1000002, token: 'QDG6eK', aes_key: KEY, temperature: 'hot' },
      }),
      /^config error: weworktop\.temperature \(temperature\): expected a number/,
    );
  });

  test("CoW's environment variable names are read: WECHATCOMAPP_*, DEEPSEEK_API_KEY; ours win when both are set", async () => {
    const { config } = await load(
      { channel_type: 'wechatcom_app', ...cowWeCom },
      {
        WECHATCOMAPP_PORT: '7000',
        DEEPSEEK_API_KEY: 'sk-env',
        MODEL: 'deepseek-chat',
        WECHATCOMAPP_AGENT_ID: '1000009',
        WEWORKTOP_AGENT_ID: '1000010',
      },
    );
    assert.equal(config.port, 7000);
    assert.equal(section(config).agent_id, '1000010');
    assert.deepEqual([config.open_ai_api_key, config.model], ['sk-env', 'deepseek-chat']);
  });

  test("a config of our own shape gets none of CoW's defaults", async () => {
    const { config, notices } = await load({
      channel_type: 'weworktop',
      weworktop: { corp_id: 'ww1', corp_secret: 's', agent_id: 1000002, token: 'QDG6eK', aes_key: KEY },
    });
    assert.equal(config.port, 5001);
    assert.equal(section(config).cow_callback_path, false);
    assert.deepEqual(notices, []);
  });
});
