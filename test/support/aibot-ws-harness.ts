import { type FakeWeComWs, startFakeWeComWs, type WsFrameSeen } from '../../fakes/fake-wecom-ws.js';
import { startWeworktop, type WeworktopHarness, type WeworktopHarnessOptions } from './weworktop-harness.js';

export const BOT_ID = 'aibTestBotLongConn01';
export const BOT_SECRET = 'long-connection-secret-0001';
export const OTHER_BOT_ID = 'aibTestBotLongConn02';
export const OTHER_BOT_SECRET = 'long-connection-secret-0002';
export const GROUP = 'wrkSFfCgAAwsgroup0001';

export interface WsHarness extends WeworktopHarness {
  ws: FakeWeComWs;
  /** A text message as WeCom pushes it down the bot's socket; resolves with its req_id. */
  text(user: string, content: string, options?: { chatId?: string; msgid?: string; bot?: string }): string;
  /** The finish frame of the stream answering `reqId`, once WeCom accepted it. */
  finished(reqId: string, timeoutMs?: number): Promise<WsFrameSeen>;
  /** The markdown of the next accepted aibot_send_msg frames (proactive answers), `count` of them. */
  proactive(count: number, timeoutMs?: number): Promise<Array<{ chatid: string; chat_type: number; content: string }>>;
}

export interface WsHarnessOptions extends WeworktopHarnessOptions {
  /** Keys of weworktop.bot over the defaults (bot_id, secret, ws_url of the fake). */
  bot?: Record<string, unknown>;
  /** false: no self-built app in the config (the AI bot alone). */
  app?: boolean;
  /** Reuse a running fake (across a restart). */
  ws?: FakeWeComWs;
}

const APP_KEYS = ['corp_id', 'corp_secret', 'agent_id', 'token', 'aes_key'];

export const contentOf = (frame: WsFrameSeen): string => {
  const body = frame.body as { stream?: { content?: string }; markdown?: { content?: string }; text?: { content?: string } } | undefined;
  return body?.stream?.content ?? body?.markdown?.content ?? body?.text?.content ?? '';
};

/** The fake long connection, knowing both test bots. */
export const startFakeBots = (): Promise<FakeWeComWs> =>
  startFakeWeComWs({
    bots: [
      { botId: BOT_ID, secret: BOT_SECRET },
      { botId: OTHER_BOT_ID, secret: OTHER_BOT_SECRET },
    ],
  });

/** The real app with its AI bot on a long connection to the fake WeCom WebSocket server. */
export async function startWsBot(options: WsHarnessOptions = {}): Promise<WsHarness> {
  const ws = options.ws ?? (await startFakeBots());
  const withoutApp = (config: Record<string, unknown>) => {
    const section = { ...(config.weworktop as Record<string, unknown>) };
    for (const key of APP_KEYS) delete section[key];
    return { ...config, weworktop: section };
  };
  const harness = await startWeworktop({
    ...options,
    config: { group_name_white_list: ['产品群'], ...options.config },
    weworktop: {
      bot: { bot_id: BOT_ID, secret: BOT_SECRET, ws_url: ws.url, ...options.bot },
      group_names: { [GROUP]: '产品群' },
      ...options.weworktop,
    },
    ...(options.app === false ? { shape: (config: Record<string, unknown>) => (options.shape ?? ((c) => c))(withoutApp(config)) } : {}),
  }).catch(async (error: unknown) => {
    if (!options.ws) await ws.close();
    throw error;
  });
  let proactiveSeen = 0;
  return {
    ...harness,
    ws,
    text(user, content, { chatId, msgid, bot = BOT_ID } = {}) {
      return ws.pushMessage(bot, {
        ...(msgid ? { msgid } : {}),
        chattype: chatId ? 'group' : 'single',
        ...(chatId ? { chatid: chatId } : {}),
        from: { userid: user },
        msgtype: 'text',
        text: { content },
      });
    },
    finished: (reqId, timeoutMs = 5000) =>
      ws.waitFor(
        () => ws.replies(reqId).find((frame) => (frame.body?.stream as { finish?: boolean } | undefined)?.finish === true),
        `the finished stream of ${reqId}`,
        timeoutMs,
      ),
    async proactive(count, timeoutMs = 5000) {
      const frames = await ws.waitFor(
        () => ws.proactive().length >= proactiveSeen + count && ws.proactive().slice(proactiveSeen, proactiveSeen + count),
        `${count} aibot_send_msg frame(s)`,
        timeoutMs,
      );
      proactiveSeen += count;
      return frames.map((frame) => ({
        chatid: String(frame.body?.chatid),
        chat_type: Number(frame.body?.chat_type),
        content: contentOf(frame),
      }));
    },
    async stop() {
      await harness.stop();
      if (!options.ws) await ws.close();
    },
  };
}
