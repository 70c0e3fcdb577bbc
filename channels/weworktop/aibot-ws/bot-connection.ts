import type WebSocket from 'ws';
import type { Logger } from '../../../src/logger.js';
import type { WsBot } from '../config.js';
import { ConnectionLog, type ConnectionState } from './connection-log.js';
import { reconnectDelay, TAKEN_OVER_PAUSE_MS } from './reconnect-delay.js';
import { ACK_TIMEOUT_MS, PendingAcks } from './ws-acks.js';
import { parseFrame, pingFrame, subscribeFrame, WS_CMD, WS_ERRCODE, type WsFrame } from './ws-frames.js';
import type { FrameResult } from './ws-link.js';

export interface BotConnectionOptions {
  bot: WsBot;
  logger: Logger;
  /** A message or event callback from WeCom, while subscribed. */
  onCallback(frame: WsFrame): void;
  /** Whether the bot is up (subscribed), at each change. */
  onUp?(up: boolean): void;
  random?: () => number;
}

/** The subscribe ack comes in a fraction of a second; one not there in 10 s is not coming. */
const SUBSCRIBE_TIMEOUT_MS = 10_000;
/** Frames are JSON of a few KB; a bigger one is not WeCom's. */
const MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** A connection that held this long starts the backoff over (one that drops at once keeps backing off). */
const STABLE_AFTER_MS = 60_000;
/** A callback's req_id can be answered for a day; we stop keeping it after an hour (later answers go out proactively). */
const REQ_ID_TTL_MS = 60 * 60 * 1000;

/** `ws` loads with the first connection: a setup without long connections does not carry it. */
let wsLoaded: Promise<typeof WebSocket> | undefined;
const loadWebSocket = () => (wsLoaded ??= import('ws').then((module) => module.default));

/**
 * One AI bot's long connection, on the main thread: connect, subscribe, heartbeat, reconnect with
 * backoff forever (a long pause after another process took the bot over; never after a refused
 * subscribe), and request/ack correlation for the frames the replier writes.
 */
export class BotConnection {
  private socket: WebSocket | undefined;
  private readonly acks = new PendingAcks((frame) => this.write(frame), ACK_TIMEOUT_MS);
  private readonly callbackReqIds = new Map<string, number>();
  private readonly waiters = new Set<(up: boolean) => void>();
  private readonly log: ConnectionLog;
  private timers: NodeJS.Timeout[] = [];
  private subscribeReqId = '';
  private missedPongs = 0;
  private failures = 0;
  private takenOver = false;
  private stopping = false;

  constructor(private readonly options: BotConnectionOptions) {
    this.log = new ConnectionLog(options.logger, options.bot, options.onUp);
  }

  get botId(): string {
    return this.options.bot.bot_id;
  }

  get state(): ConnectionState {
    return this.log.state;
  }

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.clearTimers();
    this.wake(false);
    const socket = this.socket;
    this.log.set({ kind: 'stopped' });
    if (!socket || socket.readyState === socket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => socket.terminate(), 1000);
      socket.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      socket.close(1000, 'shutting down');
    });
  }

  /** For /readyz: subscribed, or why not. */
  readiness(): { ok: boolean; reason?: string } {
    return this.log.readiness();
  }

  /** Resolves true once subscribed (at once if it is), false after `waitMs` or when it will not be (refused, stopping). */
  whenSubscribed(waitMs: number): Promise<boolean> {
    const kind = this.state.kind;
    if (kind === 'subscribed') return Promise.resolve(true);
    if (kind === 'refused' || kind === 'stopped' || waitMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), waitMs);
      const done = (up: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(up);
      };
      this.waiters.add(done);
    });
  }

  /** A callback's req_id arrived on the connection subscribed now (replies to it are still possible). */
  knows(reqId: string): boolean {
    return this.callbackReqIds.has(reqId);
  }

  /** Writes a frame and resolves with WeCom's ack; `down` when not subscribed. */
  request(frame: WsFrame): Promise<FrameResult> {
    if (this.state.kind !== 'subscribed')
      return Promise.resolve({ ok: false, reason: 'down', detail: this.readiness().reason ?? 'not connected' });
    return this.acks.request(frame);
  }

  private async connect(): Promise<void> {
    const WebSocket = await loadWebSocket();
    if (this.stopping) return;
    this.takenOver = false;
    this.log.set({ kind: 'connecting', attempt: this.failures + 1 });
    const socket = new WebSocket(this.options.bot.ws_url, { handshakeTimeout: SUBSCRIBE_TIMEOUT_MS, maxPayload: MAX_FRAME_BYTES });
    this.socket = socket;
    let lastError = '';
    socket.on('open', () => {
      const subscribe = subscribeFrame(this.options.bot.bot_id, this.options.bot.secret);
      this.subscribeReqId = subscribe.headers.req_id;
      this.write(subscribe);
      this.later(SUBSCRIBE_TIMEOUT_MS, () => {
        lastError = `no subscribe ack in ${SUBSCRIBE_TIMEOUT_MS / 1000} s`;
        socket.terminate();
      });
    });
    socket.on('message', (data: Buffer) => this.onData(socket, data.toString('utf8')));
    socket.on('error', (error) => {
      lastError = error.message;
    });
    socket.on('close', (code, reason) =>
      this.onClose(socket, lastError || `closed by WeCom (code ${code}${reason.length ? `, ${reason.toString('utf8')}` : ''})`),
    );
  }

  private onData(socket: WebSocket, text: string): void {
    if (socket !== this.socket) return;
    const frame = parseFrame(text);
    if ('invalid' in frame) {
      this.log.ignored(`frame ${frame.invalid}`, text);
    } else if (frame.cmd === undefined) {
      this.onAck(frame);
    } else if (frame.cmd !== WS_CMD.msgCallback && frame.cmd !== WS_CMD.eventCallback) {
      this.log.ignored(`unknown cmd "${frame.cmd}"`, text);
    } else if ((frame.body as { event?: { eventtype?: unknown } } | undefined)?.event?.eventtype === 'disconnected_event') {
      this.onTakenOver(socket);
    } else if (this.state.kind !== 'subscribed') {
      this.log.ignored(`${frame.cmd} before the subscription`, text);
    } else {
      this.remember(frame.headers.req_id);
      this.options.onCallback(frame);
    }
  }

  private onAck(frame: WsFrame): void {
    const reqId = frame.headers.req_id;
    if (reqId === this.subscribeReqId) this.onSubscribeAck(frame);
    else if (reqId.startsWith(`${WS_CMD.ping}_`)) this.missedPongs = 0;
    else if (!this.acks.settle(frame)) this.log.ignored('ack for no frame waiting', JSON.stringify(frame));
  }

  private onSubscribeAck(frame: WsFrame): void {
    this.clearTimers();
    this.subscribeReqId = '';
    const errcode = frame.errcode ?? 0;
    if (errcode === WS_ERRCODE.invalidCredentials) {
      this.log.set({ kind: 'refused', errcode, errmsg: frame.errmsg ?? '' });
      this.wake(false);
      this.socket?.close(1000, 'subscribe refused');
      return;
    }
    if (errcode !== 0) {
      this.socket?.close(1000, 'subscribe failed');
      this.log.subscribeFailed(errcode, frame.errmsg ?? '');
      return;
    }
    this.log.set({ kind: 'subscribed', since: Date.now(), attempts: this.failures });
    this.missedPongs = 0;
    this.every(this.options.bot.heartbeat_seconds * 1000, () => this.heartbeat());
    this.later(STABLE_AFTER_MS, () => {
      this.failures = 0;
    });
    this.wake(true);
  }

  /** Two pings in a row unanswered: the connection is dead, though the socket may not know it yet. */
  private heartbeat(): void {
    if (this.missedPongs >= 2) {
      this.log.dead(this.options.bot.heartbeat_seconds);
      this.socket?.terminate();
      return;
    }
    this.missedPongs += 1;
    try {
      this.write(pingFrame());
    } catch {
      // The close that follows reconnects.
    }
  }

  /** WeCom's own words: another connection subscribed with this bot; the server closes ours next. */
  private onTakenOver(socket: WebSocket): void {
    this.takenOver = true;
    this.log.takenOver(TAKEN_OVER_PAUSE_MS);
    socket.close(1000, 'taken over');
  }

  private onClose(socket: WebSocket, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.clearTimers();
    this.callbackReqIds.clear();
    this.acks.closeAll(reason);
    if (this.stopping || this.state.kind === 'refused') return;
    const wasUp = this.state.kind === 'subscribed';
    let delay: number;
    if (this.takenOver) {
      delay = TAKEN_OVER_PAUSE_MS;
      this.log.set({ kind: 'taken-over', retryAt: Date.now() + delay });
    } else {
      this.failures += 1;
      delay = reconnectDelay(this.failures, this.options.random);
      this.log.lost(wasUp, this.failures, reason, delay);
    }
    this.later(delay, () => void this.connect());
  }

  private remember(reqId: string): void {
    const now = Date.now();
    for (const [id, at] of this.callbackReqIds) {
      if (at > now - REQ_ID_TTL_MS) break;
      this.callbackReqIds.delete(id);
    }
    this.callbackReqIds.set(reqId, now);
  }

  private write(frame: WsFrame): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== socket.OPEN) throw new Error('the connection is not open');
    socket.send(JSON.stringify(frame));
  }

  private wake(up: boolean): void {
    for (const waiter of [...this.waiters]) waiter(up);
  }

  private later(ms: number, run: () => void): void {
    const timer = setTimeout(run, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private every(ms: number, run: () => void): void {
    const timer = setInterval(run, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
  }
}
