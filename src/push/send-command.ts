import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ChannelRegistry, DeliveredParts } from '../channel.js';
import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import type { AppConfig } from '../config/schema.js';
import { collectSecrets, createLogger } from '../logger.js';
import { NO_METRICS } from '../metrics/metrics.js';
import { pushFailureOf } from './push-failure.js';
import { describeTarget } from './push-message.js';
import { PushRequestError, parsePushRequest } from './push-request.js';
import type { PushStatus } from './push-service.js';

/** How long `send --to chat:` waits for the running server's outcome before it leaves the push queued there. */
const CHAT_WAIT_MS = 15_000;

export const SEND_USAGE = `weworktop send --to KIND:ID (--text TEXT | --markdown TEXT | --image FILE | --image-url URL) [--agent-id ID] [--bot-id ID] [--config config.json]

Sends one message straight from the config, without a running server (cron jobs, scripts). KIND is
user, users (ids joined by commas), party, tag or webhook (a name in weworktop.webhooks). chat (an AI
bot's group chat) goes through the running server's push API on this machine (its port and
api_token from the config), as only it holds the bot's long connection. Exit code 0 once WeCom
accepted every part (for chat: or it is still queued on the server after ${CHAT_WAIT_MS / 1000} s), 1 when it did
not, 2 for a wrong command line or config.`;

export interface SendOptions {
  channels: ChannelRegistry;
  argv: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  print?: (text: string) => void;
}

/** `weworktop send`: one push through the channel's replier on this thread; resolves the exit code. */
export async function runSend(options: SendOptions): Promise<number> {
  const print = options.print ?? ((text) => process.stderr.write(text));
  let flags: Record<string, string | boolean | undefined>;
  try {
    ({ values: flags } = parseArgs({
      args: options.argv,
      options: {
        to: { type: 'string' },
        text: { type: 'string' },
        markdown: { type: 'string' },
        image: { type: 'string' },
        'image-url': { type: 'string' },
        'agent-id': { type: 'string' },
        'bot-id': { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    print(`send: ${(error as Error).message}\n\n${SEND_USAGE}\n`);
    return 2;
  }
  if (flags.help) {
    print(`${SEND_USAGE}\n`);
    return 0;
  }
  let request: ReturnType<typeof parsePushRequest>;
  const body = bodyOf(flags);
  try {
    request = parsePushRequest(body);
  } catch (error) {
    if (!(error instanceof PushRequestError)) throw error;
    print(`send: ${error.message.replace(/^to\./, '--to ').replace(/^to:/, '--to:')}\n\n${SEND_USAGE}\n`);
    return 2;
  }
  const cwd = options.cwd ?? process.cwd();
  let config: Awaited<ReturnType<typeof loadConfig>>['config'];
  try {
    ({ config } = await loadConfig({ argv: options.argv, env: options.env ?? process.env, cwd, channels: options.channels }));
  } catch (error) {
    print(`send: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`);
    return 2;
  }
  const channel = await options.channels.load(config.channel_type);
  const { message } = request;
  if ('chat' in message.to) return sendThroughServer(config, body, describeTarget(message.to), print);
  const problem = channel.checkPush
    ? channel.checkPush(config, message)
    : { field: 'to', reason: `channel ${config.channel_type} cannot send pushes` };
  if (problem) {
    print(`send: ${problem.field}: ${problem.reason}\n`);
    return 2;
  }
  const logger = createLogger({ level: 'warn', secrets: collectSecrets(config), sink: { write: (line) => print(line) } });
  const replier = await channel.createReplier({ config, logger, link: { post() {}, onMessage() {} }, metrics: NO_METRICS });
  let sent = 0;
  const parts: DeliveredParts = { alreadySent: () => false, sent: () => void sent++ };
  try {
    if (!replier.push) throw new Error(`channel ${config.channel_type} cannot send pushes`);
    await replier.push(message, parts);
    print(`sent to ${describeTarget(message.to)}${sent > 1 ? ` in ${sent} parts` : ''}\n`);
    return 0;
  } catch (error) {
    const failure = pushFailureOf(error);
    const after = sent > 0 ? ` after ${sent} part(s) went out` : '';
    print(`send failed${after}: ${failure.message}${failure.transient ? ' (this may pass: try again later)' : ''}\n`);
    return 1;
  } finally {
    await replier.close?.();
  }
}

/** A chat push through the running server's push API (it holds the AI bot's connection); waits for its outcome a while. */
async function sendThroughServer(
  config: AppConfig,
  body: Record<string, unknown>,
  target: string,
  print: (text: string) => void,
): Promise<number> {
  if (!config.api_token) {
    print('send: --to chat: goes through the running server, whose push API needs api_token: set it in the config\n');
    return 2;
  }
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}/api/messages`;
  const headers = { authorization: `Bearer ${config.api_token}`, 'content-type': 'application/json' };
  let id: string;
  try {
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
    const answer = (await response.json().catch(() => ({}))) as { id?: string; status?: string; error?: string };
    if (response.status === 400) {
      print(`send: ${answer.error ?? 'refused by the server'}\n`);
      return 2;
    }
    if (!response.ok || !answer.id) {
      print(`send failed: the server answered HTTP ${response.status}${answer.error ? `: ${answer.error}` : ''}\n`);
      return 1;
    }
    id = answer.id;
  } catch (error) {
    print(`send failed: no weworktop server answers at ${url} (${(error as Error).message}): start it, or check port and host\n`);
    return 1;
  }
  for (const deadline = Date.now() + CHAT_WAIT_MS; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
    let status: PushStatus;
    try {
      status = (await (await fetch(`${url}/${id}`, { headers })).json()) as PushStatus;
    } catch (error) {
      print(`send failed: the server stopped answering while push ${id} was queued there (${(error as Error).message})\n`);
      return 1;
    }
    if (status.status === 'sent') {
      print(`sent to ${target}${(status.parts ?? 1) > 1 ? ` in ${status.parts} parts` : ''} (push ${id})\n`);
      return 0;
    }
    if (status.status === 'failed') {
      const error =
        status.error?.errcode === undefined ? status.error?.message : `errcode ${status.error.errcode} ${status.error.errmsg ?? ''}`;
      print(`send failed: ${error ?? 'unknown'} (push ${id})\n`);
      return 1;
    }
  }
  print(`queued on the server as ${id}: it sends it once the AI bot can (GET /api/messages/${id})\n`);
  return 0;
}

/** The command line as the push API's JSON body, so both are checked the same way. */
function bodyOf(flags: Record<string, string | boolean | undefined>): Record<string, unknown> {
  const to = String(flags.to ?? '');
  const colon = to.indexOf(':');
  const [kind, id] = colon > 0 ? [to.slice(0, colon), to.slice(colon + 1)] : [to, ''];
  const body: Record<string, unknown> = { to: { [kind]: kind === 'users' ? id.split(',') : id } };
  if (typeof flags.text === 'string') body.text = flags.text;
  if (typeof flags.markdown === 'string') body.markdown = flags.markdown;
  if (typeof flags.image === 'string') body.image = { base64: readFileSync(flags.image).toString('base64') };
  if (typeof flags['image-url'] === 'string') body.image = { url: flags['image-url'] };
  if (typeof flags['agent-id'] === 'string') body.agent_id = flags['agent-id'];
  if (typeof flags['bot-id'] === 'string') body.bot_id = flags['bot-id'];
  return body;
}
