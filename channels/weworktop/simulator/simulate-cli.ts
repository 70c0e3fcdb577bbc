import { parseArgs } from 'node:util';
import { simulate, type SimulateOptions } from './simulate.js';

const USAGE = `npm run simulate -- --url URL --token TOKEN --aes-key KEY --corp-id CORPID [--agent-id ID] [--user USERID] [--text TEXT] [--timeout SECONDS]

Checks a running deployment before you save its URL in the WeCom console: sends the console's GET
URL verification, then one encrypted text message, exactly as WeCom would, and prints the answers.
Exit code 0 when both pass.

  --url        the callback URL, e.g. http://your-server:5001/wework_callback
  --token      the Token of 接收消息 → 设置API接收
  --aes-key    the EncodingAESKey of the same page (43 characters)
  --corp-id    your corp id (我的企业 → 企业信息)
  --agent-id   the app's AgentId (default 1000002)
  --user       who the message is from; the bot answers this user through the WeCom API (default weworktop-simulate)
  --text       the message (default "hello from npm run simulate")
  --timeout    seconds to wait for each answer (default 10)`;

function parse(argv: string[]): SimulateOptions | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        'aes-key': { type: 'string' },
        'corp-id': { type: 'string' },
        'agent-id': { type: 'string', default: '1000002' },
        user: { type: 'string', default: 'weworktop-simulate' },
        text: { type: 'string', default: 'hello from npm run simulate' },
        timeout: { type: 'string', default: '10' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    return (error as Error).message;
  }
  if (values.help) return '';
  const missing = (['url', 'token', 'aes-key', 'corp-id'] as const).filter((key) => !values[key]);
  if (missing.length > 0) return `missing ${missing.map((key) => `--${key}`).join(', ')}`;
  if (!/^[A-Za-z0-9]{43}$/.test(values['aes-key']!)) return `--aes-key must be the 43-character EncodingAESKey (letters and digits), got ${values['aes-key']!.length} characters`;
  if (!/^https?:\/\//.test(values.url!)) return '--url must start with http:// or https://';
  const timeout = Number(values.timeout);
  if (!(timeout > 0)) return '--timeout must be a number of seconds';
  return { url: values.url!, token: values.token!, aesKey: values['aes-key']!, corpId: values['corp-id']!, agentId: values['agent-id']!, user: values.user!, text: values.text!, timeoutMs: timeout * 1000 };
}

const options = parse(process.argv.slice(2));
if (options === '') {
  console.log(USAGE);
} else if (typeof options === 'string') {
  console.error(`simulate: ${options}\n\n${USAGE}`);
  process.exitCode = 2;
} else {
  process.exitCode = (await simulate(options, (line) => console.log(line))) ? 0 : 1;
}
