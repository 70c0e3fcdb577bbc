import type { Logger } from '../../../src/logger.js';
import type { WsBot } from '../config.js';
import { WS_ERRCODE } from './ws-frames.js';

export type ConnectionState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'subscribed'; since: number; attempts: number }
  | { kind: 'waiting'; attempt: number; retryAt: number; error: string }
  | { kind: 'refused'; errcode: number; errmsg: string }
  | { kind: 'taken-over'; retryAt: number }
  | { kind: 'stopped' };

/** Reconnect tries logged one by one; after these, a line only when the state changes. */
const LOGGED_ATTEMPTS = 3;
/** An ignored frame is quoted this far in its log line. */
const QUOTED_CHARS = 200;

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/**
 * A bot connection's state and its log lines: one line per change of state, so that a long outage
 * makes a few lines, not one per reconnect try; and the reason /readyz gives.
 */
export class ConnectionLog {
  state: ConnectionState = { kind: 'connecting', attempt: 1 };
  private readonly log: Logger;
  private downSince: number | undefined;
  private connectedBefore = false;

  constructor(
    logger: Logger,
    private readonly bot: WsBot,
    /** Told whether the bot is up (subscribed) at each change of state: the connection gauge. */
    private readonly onUp: (up: boolean) => void = () => undefined,
  ) {
    this.log = logger.child({ module: 'aibot-ws', bot_id: bot.bot_id });
  }

  set(state: ConnectionState): void {
    this.state = state;
    this.onUp(state.kind === 'subscribed');
    if (state.kind === 'subscribed') {
      if (!this.connectedBefore) this.log.info({ url: this.bot.ws_url }, 'aibot ws: connected');
      else
        this.log.info(
          { attempts: state.attempts, down_s: Math.round((Date.now() - (this.downSince ?? Date.now())) / 1000) },
          'aibot ws: reconnected',
        );
      this.connectedBefore = true;
      this.downSince = undefined;
    } else if (state.kind === 'refused') {
      const what = state.errcode === WS_ERRCODE.invalidCredentials ? 'invalid bot_id or secret' : state.errmsg;
      this.log.error(
        { errcode: state.errcode, errmsg: state.errmsg },
        `aibot ws: WeCom refused the subscription: ${what}. Check weworktop.bot.bot_id and weworktop.bot.secret (the long-connection Secret, not the callback Token); not retried until a restart`,
      );
    }
  }

  /** The connection closed (or never opened): the reconnect is due in `delayMs`. */
  lost(wasUp: boolean, attempt: number, reason: string, delayMs: number): void {
    this.downSince ??= Date.now();
    this.state = { kind: 'waiting', attempt, retryAt: Date.now() + delayMs, error: reason };
    this.onUp(false);
    const fields = { reason, retry_in: seconds(delayMs) };
    if (wasUp) this.log.warn(fields, 'aibot ws: connection lost; reconnecting');
    else if (attempt < LOGGED_ATTEMPTS)
      this.log.warn({ ...fields, attempt, url: this.bot.ws_url }, 'aibot ws: cannot connect; trying again');
    else if (attempt === LOGGED_ATTEMPTS)
      this.log.warn(
        { ...fields, attempt },
        'aibot ws: still not connected; trying again with backoff up to every 30 s, logged again once connected (/readyz shows the state)',
      );
    else this.log.debug({ ...fields, attempt }, 'aibot ws: reconnect failed');
  }

  subscribeFailed(errcode: number, errmsg: string): void {
    this.log.warn({ errcode, errmsg }, 'aibot ws: subscribe failed; reconnecting');
  }

  dead(heartbeatSeconds: number): void {
    this.log.warn(
      { heartbeat_seconds: heartbeatSeconds },
      'aibot ws: no answer to 2 heartbeats in a row: the connection is dead; reconnecting',
    );
  }

  takenOver(pauseMs: number): void {
    this.downSince ??= Date.now();
    this.log.warn(
      { pause: seconds(pauseMs) },
      'aibot ws: another connection took this bot over (disconnected_event: another process subscribed with this BotID; WeCom keeps one connection per bot); connecting again after a pause, not at once, so the two do not keep taking it from each other',
    );
  }

  ignored(what: string, text: string): void {
    this.log.warn({ frame: text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}…` : text }, `aibot ws: ${what}; ignored`);
  }

  readiness(): { ok: boolean; reason?: string } {
    const state = this.state;
    const bot = `AI bot ${this.bot.bot_id}`;
    switch (state.kind) {
      case 'subscribed':
        return { ok: true };
      case 'connecting':
        return { ok: false, reason: `${bot}: connecting to WeCom (attempt ${state.attempt})` };
      case 'waiting':
        return {
          ok: false,
          reason: `${bot}: not connected (${state.error}); attempt ${state.attempt + 1} at ${new Date(state.retryAt).toISOString()}`,
        };
      case 'refused':
        return {
          ok: false,
          reason: `${bot}: WeCom refused the subscription (errcode ${state.errcode}: ${state.errmsg || 'invalid bot_id or secret'}); check weworktop.bot.bot_id and weworktop.bot.secret`,
        };
      case 'taken-over':
        return {
          ok: false,
          reason: `${bot}: taken over by another connection (disconnected_event); connecting again at ${new Date(state.retryAt).toISOString()}`,
        };
      case 'stopped':
        return { ok: false, reason: `${bot}: stopped` };
    }
  }
}
