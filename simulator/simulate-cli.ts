import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { channelRegistry } from '../channels/registry.js';
import type { WeworktopConfig } from '../channels/weworktop/config.js';
import { ConfigError } from '../src/config/config-error.js';
import { loadConfig } from '../src/config/load-config.js';
import { simulate } from './simulate.js';
import { simulateBot } from './simulate-bot.js';

const USAGE = `npm run simulate -- --config config.json [--bot] [--url URL] [--user USERID] [--text TEXT] [--timeout SECONDS]
npm run simulate -- --url URL --token TOKEN --aes-key KEY --corp-id CORPID [--agent-id ID] [--bot] ...

Checks a running deployment before you save its URL in the WeCom console: sends the console's GET
URL verification, then one encrypted text message, exactly as WeCom would, and prints the answers.
Exit code 0 when both pass.

  --config     read token, aes_key, corp_id, agent_id, port and callback path from this config
               (the URL defaults to http://127.0.0.1:PORT/PATH); the flags below override it
  --bot        check the AI bot (智能机器人) URL instead, with weworktop.bot's token and aes_key
  --url        the callback URL, e.g. http://your-server:5001/wework_callback
  --token      the Token of 接收消息 → 设置API接收
  --aes-key    the EncodingAESKey of the same page (43 characters)
  --corp-id    your corp id (我的企业 → 企业信息)
  --agent-id   the app's AgentId (default 1000002)
  --user       who the message is from; the bot answers this user through the WeCom API (default weworktop-simulate)
  --text       the message (default "hello from npm run simulate")
  --timeout    seconds to wait for each answer (default 10)`;

type Values = Record<string, string | boolean | undefined>;

/** The values a config gives, under the flags' names. */
async function fromConfig(file: string, bot: boolean): Promise<Values> {
  const { config } = await loadConfig({ argv: ['--config', file], env: process.env, cwd: process.cwd(), channels: channelRegistry });
  if (config.channel_type !== 'weworktop') throw new Error(`${file} runs channel_type "${config.channel_type}", not "weworktop"`);
  const section = config.weworktop as WeworktopConfig;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  if (bot && !(section.bot.token && section.bot.aes_key))
    throw new Error('--bot needs weworktop.bot.token and weworktop.bot.aes_key in the config');
  const path = bot ? section.bot.callback_path : section.callback_path;
  return {
    url: `http://${host}:${config.port}${path}`,
    token: bot ? section.bot.token : section.token,
    'aes-key': bot ? section.bot.aes_key : section.aes_key,
    'corp-id': section.corp_id,
    'agent-id': String(section.agent_id),
    stream: section.bot.stream,
  };
}

/** `weworktop simulate ARGS` (and `npm run simulate -- ARGS`): resolves the exit code. */
export async function runSimulate(argv: string[]): Promise<number> {
  let values: Values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        bot: { type: 'boolean', default: false },
        url: { type: 'string' },
        token: { type: 'string' },
        'aes-key': { type: 'string' },
        'corp-id': { type: 'string' },
        'agent-id': { type: 'string' },
        user: { type: 'string', default: 'weworktop-simulate' },
        text: { type: 'string', default: 'hello from npm run simulate' },
        timeout: { type: 'string', default: '10' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const bot = values.bot === true;
  if (typeof values.config === 'string') {
    try {
      const given = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
      values = { ...(await fromConfig(values.config, bot)), ...given };
    } catch (error) {
      console.error(`simulate: ${error instanceof ConfigError ? error.message : (error as Error).message}`);
      return 2;
    }
  }
  const required = bot ? (['url', 'token', 'aes-key'] as const) : (['url', 'token', 'aes-key', 'corp-id'] as const);
  const missing = required.filter((key) => !values[key]);
  if (missing.length > 0) return usage(`missing ${missing.map((key) => `--${key}`).join(', ')} (or --config config.json)`);
  const text = (key: string) => String(values[key]);
  if (!/^[A-Za-z0-9]{43}$/.test(text('aes-key')))
    return usage(`--aes-key must be the 43-character EncodingAESKey (letters and digits), got ${text('aes-key').length} characters`);
  if (!/^https?:\/\//.test(text('url'))) return usage('--url must start with http:// or https://');
  const timeout = Number(values.timeout);
  if (!(timeout > 0)) return usage('--timeout must be a number of seconds');
  const common = {
    url: text('url'),
    token: text('token'),
    aesKey: text('aes-key'),
    user: text('user'),
    text: text('text'),
    timeoutMs: timeout * 1000,
  };
  const print = (line: string) => console.log(line);
  const ok = bot
    ? await simulateBot({ ...common, ...(typeof values.stream === 'boolean' ? { stream: values.stream } : {}) }, print)
    : await simulate({ ...common, corpId: text('corp-id'), agentId: values['agent-id'] ? text('agent-id') : '1000002' }, print);
  return ok ? 0 : 1;
}

function usage(problem: string): number {
  console.error(`simulate: ${problem}\n\n${USAGE}`);
  return 2;
}

// Run as a script (the tests do): the command line; imported by app.ts, which runs it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await runSimulate(process.argv.slice(2));
