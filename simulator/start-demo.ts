import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { channelRegistry } from '../channels/registry.js';
import type { AiBotCallback } from '../channels/weworktop/aibot/aibot-message.js';
import type { WeworktopConfig } from '../channels/weworktop/config.js';
import { startFakeWeCom } from '../fakes/fake-wecom.js';
import { startFakeWeComWs } from '../fakes/fake-wecom-ws.js';
import { pluginRegistry } from '../plugins/registry.js';
import { type RunningApp, startApp } from '../src/app/start-app.js';
import { ConfigError } from '../src/config/config-error.js';
import { resolveConfigPath } from '../src/config/load-config.js';
import { readConfigFile } from '../src/config/read-config-file.js';
import type { LogSink } from '../src/logger.js';
import { ChatLog } from './chat-log.js';
import {
  DEMO_BOT_NAME,
  DEMO_CUSTOMERS,
  DEMO_GROUP,
  DEMO_KF,
  DEMO_USERS,
  type DemoBotMode,
  demoConfig,
  generateCredentials,
  llmConfigured,
  userCoreKeys,
} from './demo-config.js';
import { GroupChatSender } from './group-chat-sender.js';
import { KfChatSender } from './kf-chat-sender.js';
import { MediaStore } from './media-store.js';
import { noAnswerReason } from './no-answer-reason.js';
import { PrivateChatSender } from './private-chat-sender.js';
import { ReplyWatcher } from './reply-watcher.js';
import { silenceNote } from './silence-notes.js';
import { type GroupChats, type SimulatorInfo, startSimulatorServer } from './simulator-server.js';
import { WsGroupChatSender } from './ws-group-chat-sender.js';

export interface DemoOptions {
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The app's log lines (default stdout); the page shows them too. */
  logSink?: LogSink;
  /** Where the banner with the page URL goes (default stdout). */
  print?: (text: string) => void;
  onShutdownRequest?: (reason: string) => void;
  /** Pause between the simulated WeCom's stream refresh polls (default 500 ms). */
  pollMs?: number;
}

export interface RunningDemo {
  pageUrl: string;
  app: RunningApp;
  stop(): Promise<void>;
}

/** The chat page's port unless `--page-port` says otherwise; a taken port falls back to a free one. */
const DEFAULT_PAGE_PORT = 5080;
const HOST = '127.0.0.1';
/** Variables that would point the demo's channel elsewhere than the simulator, or keep data on disk. */
const DEMO_OWNED_ENV = /^(WEWORKTOP_|WECHATCOM_|WECHATCOMAPP_|WECOM_BOT_|CHANNEL_TYPE$|CONFIG_PATH$|DATA_DIR$|INBOX_STORE$|SESSION_STORE$)/;

/**
 * `npm run demo`, and `npm start` without a config.json: the real weworktop channel with generated
 * credentials, the fake WeCom API it calls, and a chat page that plays WeCom's part, all on 127.0.0.1.
 */
export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const argv = options.argv ?? process.argv.slice(2);
  const env = Object.fromEntries(Object.entries(options.env ?? process.env).filter(([key]) => !DEMO_OWNED_ENV.test(key)));
  const cwd = options.cwd ?? process.cwd();
  const core = userCoreKeys(readUserConfig(argv, options.env ?? process.env, cwd));
  const credentials = generateCredentials();
  const botMode = botModeOf(argv);
  const offline = !llmConfigured(core, env);
  const log = new ChatLog();
  const cleanup: Array<() => Promise<void> | void> = [];
  // In reverse order of start; a second call finds nothing left to stop.
  const stop = async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };

  try {
    const sink = options.logSink ?? process.stdout;
    const logSink: LogSink = {
      write(line) {
        sink.write(line);
        log.log(line.trimEnd());
        const note = silenceNote(line);
        if (note)
          log.note(
            note.chat,
            offline && note.text.includes('speech_recognition is off')
              ? `${note.text} (offline, the demo turns speech_recognition off: nothing could transcribe)`
              : note.text,
          );
      },
    };
    let watcher: ReplyWatcher | undefined;
    const wecom = await startFakeWeCom({
      corpId: credentials.corpId,
      apps: [{ agentId: credentials.agentId, secret: credentials.corpSecret }],
      onSend: (message, dropped) => watcher?.onSend(message, dropped),
    });
    cleanup.push(() => wecom.close());
    wecom.kf.addAccount(DEMO_KF.openKfid, { name: DEMO_KF.name });
    for (const customer of DEMO_CUSTOMERS) wecom.kf.addCustomer(customer.id, customer.nickname);
    // The AI bot's long connection: the fake WeCom's WebSocket end, which the bot dials.
    const ws = await startFakeWeComWs({ bots: [{ botId: credentials.botId, secret: credentials.botSecret }] });
    cleanup.push(() => ws.close());

    // The config goes through the normal loader (and its checks), from a file only this demo uses.
    const dir = mkdtempSync(path.join(tmpdir(), 'weworktop-demo-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const configFile = path.join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(demoConfig(credentials, { apiBase: wecom.url, botMode, wsUrl: ws.url }, core, !offline)), {
      mode: 0o600,
    });
    const app = await startApp({
      channels: channelRegistry,
      plugins: pluginRegistry,
      argv: ['--config', configFile],
      env,
      cwd,
      logSink,
      ...(options.onShutdownRequest ? { onShutdownRequest: options.onShutdownRequest } : {}),
    });
    cleanup.push(() => app.stop());

    const media = new MediaStore(app.config.ffmpeg_path);
    watcher = new ReplyWatcher(log, media);
    watcher.attach(wecom);
    cleanup.push(() => watcher?.close());
    const channelUrl = `http://${HOST}:${app.port}`;
    const section = app.config.weworktop as WeworktopConfig;
    const privateChats = new PrivateChatSender({ callbackUrl: `${channelUrl}${section.callback_path}`, credentials, wecom, log, media });
    const whyNoAnswer = (callback: AiBotCallback) => noAnswerReason(app.config, section.group_names, callback);
    const groupChats: GroupChats & { close(): Promise<void> } =
      botMode === 'websocket'
        ? new WsGroupChatSender({ ws, botId: credentials.botId, botName: DEMO_BOT_NAME, log, media, whyNoAnswer })
        : new GroupChatSender({
            callbackUrl: `${channelUrl}${section.bot.callback_path}`,
            credentials,
            botName: DEMO_BOT_NAME,
            log,
            media,
            watcher,
            whyNoAnswer,
            ...(options.pollMs ? { pollMs: options.pollMs } : {}),
          });
    cleanup.push(() => groupChats.close());
    const kfChats = new KfChatSender({
      callbackUrl: `${channelUrl}${section.callback_path}`,
      credentials,
      openKfid: DEMO_KF.openKfid,
      wecom,
      log,
    });
    // The bot dials the fake at start: the page opens once it is connected, so the first message finds it there.
    if (botMode === 'websocket') await ws.waitFor(() => ws.subscribed(credentials.botId), "the AI bot's long connection", 10_000);

    const info: SimulatorInfo = {
      users: DEMO_USERS,
      botName: DEMO_BOT_NAME,
      groups: [{ chatId: DEMO_GROUP.chatId, name: DEMO_GROUP.name }],
      customers: DEMO_CUSTOMERS.map((customer) => ({ ...customer })),
      kfAccount: DEMO_KF.name,
      groupWhiteList: app.config.group_name_white_list,
      groupPrefixes: app.config.group_chat_prefix,
      singlePrefixes: app.config.single_chat_prefix,
      llm: offline
        ? 'offline responder (not an LLM): set OPEN_AI_API_KEY or open_ai_api_base for real answers'
        : `${app.config.model} at ${app.config.open_ai_api_base}`,
      offline,
      corpId: credentials.corpId,
      agentId: credentials.agentId,
      token: credentials.token,
      aesKey: credentials.aesKey,
      appCallbackUrl: `${channelUrl}${section.callback_path}`,
      botMode,
      botCallbackUrl: `${channelUrl}${section.bot.callback_path}`,
      botWsUrl: ws.url,
      apiBase: wecom.url,
    };
    const page = await startSimulatorServer({ host: HOST, port: pagePort(argv), info, log, media, privateChats, groupChats, kfChats });
    // Closed first: no page request may reach a stopping app.
    cleanup.push(() => page.close());

    (options.print ?? ((text) => process.stdout.write(text)))(banner(page.url, info, page.taken));
    return { pageUrl: page.url, app, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The user's own config.json, if any: the demo keeps its model, keys, prefixes and plugins. */
function readUserConfig(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Record<string, unknown> {
  const file = resolveConfigPath(argv, env, cwd);
  return file ? readConfigFile(file) : {};
}

/** `--bot-mode webhook` shows the AI bot's callback URL instead of its long connection. */
function botModeOf(argv: string[]): DemoBotMode {
  const at = argv.indexOf('--bot-mode');
  if (at < 0) return 'websocket';
  const mode = argv[at + 1];
  if (mode !== 'websocket' && mode !== 'webhook')
    throw new ConfigError(
      '--bot-mode',
      '"websocket" (the long connection, the default) or "webhook" (the callback URL)',
      `"${mode ?? ''}"`,
    );
  return mode;
}

function pagePort(argv: string[]): number {
  const at = argv.indexOf('--page-port');
  if (at < 0) return DEFAULT_PAGE_PORT;
  const port = Number(argv[at + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError('--page-port', 'a port number (0 for any free port)', `"${argv[at + 1] ?? ''}"`);
  return port;
}

function banner(url: string, info: SimulatorInfo, taken: number | undefined): string {
  const rule = '─'.repeat(72);
  return [
    '',
    rule,
    '  weworktop simulator: a local stand-in for WeCom, no WeCom account needed',
    '',
    `  Open the chat page:  ${url}`,
    ...(taken !== undefined
      ? [`  (port ${taken} is taken, another demo still running? So the page is on ${new URL(url).port}; --page-port chooses)`]
      : []),
    '',
    `  Answers come from: ${info.llm}`,
    info.botMode === 'websocket'
      ? `  Callbacks go to ${info.appCallbackUrl} (app); the AI bot dials its long connection at ${info.botWsUrl} (--bot-mode webhook: its callback URL instead)`
      : `  Callbacks go to ${info.appCallbackUrl} (app) and ${info.botCallbackUrl} (AI bot)`,
    '  To serve real WeCom: cp config.json.example config.json, fill in your app (see README).',
    '  Ctrl+C to stop.',
    rule,
    '',
    '',
  ].join('\n');
}
