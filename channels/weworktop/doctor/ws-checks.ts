import WebSocket from 'ws';
import { type CheckResult, type DoctorCheck, type DoctorContext, fail, pass } from '../../../src/doctor/doctor-check.js';
import { parseFrame, subscribeFrame, WS_ERRCODE } from '../aibot-ws/ws-frames.js';
import { aiBotModeOf, type WeworktopConfig, type WsBot } from '../config.js';

/**
 * One check per AI bot on a long connection. WeCom keeps one connection per bot and a new
 * subscribe takes the bot from whoever holds it, so when this server's app answers on its port
 * the check reads that app's /readyz instead of subscribing over it.
 */
export function wsBotChecks(section: WeworktopConfig, context: DoctorContext, bots: WsBot[]): DoctorCheck[] {
  const first = aiBotModeOf(section.bot) === 'websocket' ? 0 : -1;
  return bots.map((bot, index) => {
    const key = index === first ? 'weworktop.bot' : `weworktop.bots[${index - (first + 1)}]`;
    return {
      name: `AI bot ${bot.bot_id}: long connection`,
      run: async () => (await runningAppVerdict(context)) ?? subscribeVerdict(bot, key, context.timeoutMs),
    };
  });
}

/** The running app's own view, when one answers on this config's port. */
async function runningAppVerdict(context: DoctorContext): Promise<CheckResult | undefined> {
  const port = context.config.port;
  let response: Response;
  try {
    response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
  } catch {
    return undefined;
  }
  const body = (await response.json().catch(() => ({}))) as { reason?: string };
  if (response.ok) return pass(`the app running on port ${port} is ready, its long connections subscribed (not subscribing over it)`);
  return fail(
    `the app running on port ${port} is not ready: ${body.reason ?? `HTTP ${response.status}`}`,
    'read its log for the aibot ws lines; stop it to let doctor subscribe itself',
  );
}

function subscribeVerdict(bot: WsBot, key: string, timeoutMs: number): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = new WebSocket(bot.ws_url, { handshakeTimeout: timeoutMs });
    const frame = subscribeFrame(bot.bot_id, bot.secret);
    const done = (result: CheckResult) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      resolve(result);
    };
    const unreachable = (why: string) =>
      done(
        fail(
          `${bot.ws_url}: ${why}`,
          `this server must reach ${bot.ws_url} (outbound TCP 443): check weworktop.bot.ws_url, a firewall or a proxy`,
        ),
      );
    const timer = setTimeout(() => unreachable(`no answer to aibot_subscribe within ${timeoutMs} ms`), timeoutMs);
    socket.on('error', (error) => unreachable(error.message));
    socket.on('open', () => socket.send(JSON.stringify(frame)));
    socket.on('message', (data) => {
      const answer = parseFrame(data.toString());
      if ('invalid' in answer || answer.headers.req_id !== frame.headers.req_id) return;
      const errcode = answer.errcode ?? 0;
      if (errcode === 0) return done(pass(`WeCom accepted aibot_subscribe for bot_id ${bot.bot_id} (the test connection was closed)`));
      if (errcode === WS_ERRCODE.invalidCredentials)
        return done(
          fail(
            `WeCom refused aibot_subscribe: errcode ${errcode} (invalid bot_id or secret)`,
            `copy the BotID and the long-connection Secret from the bot's page (API mode → 长连接) into ${key}.bot_id and ${key}.secret`,
          ),
        );
      done(
        fail(
          `WeCom refused aibot_subscribe: errcode ${errcode} ${answer.errmsg ?? ''}`.trim(),
          `look up errcode ${errcode} in WeCom's error codes`,
        ),
      );
    });
  });
}
