import type { AppCredentials } from './config.js';

export interface ConsoleHintOptions {
  port: number;
  apps: AppCredentials[];
  /** CoW's /wxcomapp is served too. */
  cowPath: boolean;
  botPath?: string | undefined;
  configFile?: string | undefined;
  /** public_url: the server as WeCom reaches it (then `npm run doctor` checks the URLs from outside). */
  publicUrl?: string | undefined;
}

/**
 * The line a first deployment needs after "listening": the URL(s) to enter in the WeCom console,
 * and the command that checks them from this machine first. Without public_url the server's public
 * name is not known here, so it reads YOUR_SERVER.
 */
export function consoleHint(options: ConsoleHintOptions): string {
  const base = options.publicUrl ? options.publicUrl.replace(/\/+$/, '') : `http://YOUR_SERVER:${options.port}`;
  const url = (path: string) => `${base}${path}`;
  const apps = options.apps.map(
    (app, index) =>
      `${url(app.callback_path)} for agent ${app.agent_id}${index === 0 && options.cowPath ? ` (or CoW's ${url('/wxcomapp')})` : ''}`,
  );
  const bot = options.botPath ? `; AI bot (智能机器人 → API 模式): ${url(options.botPath)}` : '';
  const check = options.publicUrl
    ? `npm run doctor${options.configFile ? ` -- --config ${options.configFile}` : ''} (checks them through public_url, as WeCom will)`
    : options.configFile
      ? `npm run simulate -- --config ${options.configFile}${options.botPath ? ' (add --bot for the AI bot)' : ''}`
      : `npm run simulate -- --url http://127.0.0.1:${options.port}${options.apps[0]?.callback_path ?? ''} --token TOKEN --aes-key AES_KEY --corp-id CORP_ID`;
  return `WeCom console, 接收消息 → 设置API接收 → URL: ${apps.join(', ')}${bot}; check it from this machine first: ${check}`;
}
