// The fake of WeCom's AI bot long connection (wss://openws.work.weixin.qq.com), used by the tests,
// the benchmark and the simulator: a real `ws` server on 127.0.0.1, and its media over HTTP.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { type AckAnswer, encryptMedia, FakeUploads, type UploadedWsMedia } from './fake-ws-media.js';

export interface WsFrameSeen {
  cmd?: string;
  headers: { req_id: string };
  body?: Record<string, unknown>;
}

/** A frame a bot wrote, with the bot it was subscribed as and when. */
export interface ReceivedFrame {
  botId: string | undefined;
  frame: WsFrameSeen;
  at: number;
  /** The errcode it was acked with (undefined: not acked, e.g. on a silent connection). */
  errcode?: number;
}

/** What happened to connections, in order (for backoff and storm checks). */
export interface ConnectionEvent {
  event: 'open' | 'subscribed' | 'refused' | 'closed';
  botId?: string;
  at: number;
}

export interface FakeWeComWs {
  /** ws://127.0.0.1:PORT, for weworktop.bot.ws_url. */
  url: string;
  frames: ReceivedFrame[];
  events: ConnectionEvent[];
  uploads: UploadedWsMedia[];
  /** A stream's frames are refused (846608) this long after its first; WeCom's 6 minutes by default. */
  streamWindowMs: number;
  subscribed(botId: string): boolean;
  waitFor<T>(find: () => T | undefined | false, what: string, timeoutMs?: number): Promise<T>;
  /** Pushes an aibot_msg_callback to the bot's subscribed connection; returns the req_id WeCom made for it. */
  pushMessage(botId: string, body: Record<string, unknown>): string;
  pushEvent(botId: string, eventtype: string, body?: Record<string, unknown>): string;
  /** Any text, as it is (frames that are not JSON, unknown commands). */
  pushRaw(botId: string, text: string): void;
  /** The frames written with this req_id that WeCom accepted (a stream's frames, a welcome), in order. */
  replies(reqId: string): WsFrameSeen[];
  /** aibot_send_msg frames WeCom accepted. */
  proactive(botId?: string): WsFrameSeen[];
  /** Called for every frame a bot writes (the simulator shows them). */
  onFrame(listener: (frame: ReceivedFrame) => void): () => void;
  /** The next `times` frames of `cmd` are answered with this errcode. */
  failNext(cmd: string, errcode: number, errmsg?: string, times?: number): void;
  /** While set, the bot's connections get no answer to anything (a link dead without a close). */
  setSilent(botId: string, silent: boolean): void;
  /** While set, every new connection is closed as soon as it opens (WeCom unreachable). */
  setRefuseConnections(refuse: boolean): void;
  /** The server closes the bot's connection (a restart on WeCom's side, a network cut). */
  closeConnection(botId: string, code?: number): void;
  /** Another process subscribes with this bot: disconnected_event to the current connection, then it is closed. */
  takeOver(botId: string): void;
  /** Media served encrypted at a URL with its own aeskey, as in an image or file callback. */
  addMedia(data: Buffer, filename?: string): { url: string; aeskey: string };
  close(): Promise<void>;
}

interface Connection {
  socket: WebSocket;
  botId?: string;
  /** req_ids of the callbacks pushed on this connection: message ones can be answered with a stream. */
  callbacks: Map<string, { kind: 'message' | 'event'; at: number; eventtype?: string }>;
}

/** WeCom's documented limits and codes (docs/wecom-protocol.md, The AI bot's long connection). */
const CONTENT_BYTES = 20480;
const WELCOME_WITHIN_MS = 5000;

export async function startFakeWeComWs(options: { bots: Array<{ botId: string; secret: string }> }): Promise<FakeWeComWs> {
  const secrets = new Map(options.bots.map((bot) => [bot.botId, bot.secret]));
  const frames: ReceivedFrame[] = [];
  const events: ConnectionEvent[] = [];
  const uploads = new FakeUploads();
  const media = new Map<string, { data: Buffer; filename: string }>();
  const live = new Map<string, Connection>();
  const streams = new Map<string, { firstAt: number; finished: boolean }>();
  const failures = new Map<string, AckAnswer[]>();
  const silent = new Set<string>();
  const listeners = new Set<(frame: ReceivedFrame) => void>();
  const sockets = new Set<Connection>();
  let refuseConnections = false;

  const server = http.createServer((request, response) => {
    const item = media.get((request.url ?? '').replace(/^\/media\//, ''));
    if (!item) return void response.writeHead(404).end();
    response
      .writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(item.filename)}`,
      })
      .end(item.data);
  });
  const wss = new WebSocketServer({ server });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const send = (connection: Connection, frame: object) =>
    connection.socket.readyState === connection.socket.OPEN && connection.socket.send(JSON.stringify(frame));
  const ack = (connection: Connection, reqId: string, answer: AckAnswer) => send(connection, { headers: { req_id: reqId }, ...answer });
  const newReqId = () => randomBytes(12).toString('hex');

  const answer = (connection: Connection, frame: WsFrameSeen): AckAnswer | undefined => {
    const body = frame.body ?? {};
    const injected = failures.get(frame.cmd ?? '')?.shift();
    if (injected) return injected;
    if (frame.cmd === 'aibot_subscribe') return subscribe(connection, body);
    if (frame.cmd === 'ping') return connection.botId ? { errcode: 0, errmsg: 'ok' } : undefined;
    if (!connection.botId || live.get(connection.botId) !== connection)
      return { errcode: 846609, errmsg: 'aibot websocket not subscribed' };
    switch (frame.cmd) {
      case 'aibot_respond_msg':
        return respond(connection, frame.headers.req_id, body);
      case 'aibot_respond_welcome_msg': {
        const callback = connection.callbacks.get(frame.headers.req_id);
        if (callback?.eventtype !== 'enter_chat' || Date.now() - callback.at > WELCOME_WITHIN_MS)
          return { errcode: 846605, errmsg: 'invalid req_id' };
        return { errcode: 0, errmsg: 'ok' };
      }
      case 'aibot_send_msg':
        return sendMsg(body);
      case 'aibot_upload_media_init':
        return uploads.init(body);
      case 'aibot_upload_media_chunk':
        return uploads.chunk(body);
      case 'aibot_upload_media_finish':
        return uploads.finish(body);
      default:
        return { errcode: -1, errmsg: `unknown cmd ${frame.cmd}` };
    }
  };

  const subscribe = (connection: Connection, body: Record<string, unknown>): AckAnswer => {
    const botId = String(body.bot_id ?? '');
    if (!secrets.has(botId) || secrets.get(botId) !== body.secret) {
      events.push({ event: 'refused', botId, at: Date.now() });
      // WeCom keeps the socket open after a refused subscribe.
      return { errcode: 853000, errmsg: 'invalid bot_id or secret' };
    }
    const previous = live.get(botId);
    if (previous && previous !== connection) kick(previous);
    connection.botId = botId;
    live.set(botId, connection);
    events.push({ event: 'subscribed', botId, at: Date.now() });
    return { errcode: 0, errmsg: 'ok' };
  };

  const respond = (connection: Connection, reqId: string, body: Record<string, unknown>): AckAnswer => {
    const callback = connection.callbacks.get(reqId);
    if (callback?.kind !== 'message') return { errcode: 846605, errmsg: 'invalid req_id' };
    if (body.msgtype !== 'stream')
      return body.msgtype === 'image' || body.msgtype === 'file' ? mediaMsg(body) : { errcode: 0, errmsg: 'ok' };
    const stream = body.stream as { id?: string; finish?: boolean; content?: string };
    if (!stream?.id) return { errcode: 40058, errmsg: 'stream.id missing' };
    if (Buffer.byteLength(stream.content ?? '') > CONTENT_BYTES) return { errcode: 40058, errmsg: 'content over 20480 bytes' };
    const key = `${reqId}/${stream.id}`;
    const state = streams.get(key) ?? { firstAt: Date.now(), finished: false };
    streams.set(key, state);
    if (state.finished) return { errcode: 846605, errmsg: 'stream already finished' };
    if (Date.now() - state.firstAt > fake.streamWindowMs) return { errcode: 846608, errmsg: 'stream message update expired' };
    if (stream.finish) state.finished = true;
    return { errcode: 0, errmsg: 'ok' };
  };

  const sendMsg = (body: Record<string, unknown>): AckAnswer => {
    if (typeof body.chatid !== 'string' || body.chatid === '') return { errcode: 40058, errmsg: 'chatid missing' };
    if (body.msgtype === 'markdown') {
      const content = (body.markdown as { content?: string } | undefined)?.content ?? '';
      return Buffer.byteLength(content) > CONTENT_BYTES || content === ''
        ? { errcode: 40058, errmsg: 'markdown.content empty or over 20480 bytes' }
        : { errcode: 0, errmsg: 'ok' };
    }
    return mediaMsg(body);
  };

  const mediaMsg = (body: Record<string, unknown>): AckAnswer => {
    const type = String(body.msgtype);
    const mediaId = (body[type] as { media_id?: string } | undefined)?.media_id ?? '';
    return uploads.has(mediaId) ? { errcode: 0, errmsg: 'ok' } : { errcode: 40007, errmsg: 'invalid media_id' };
  };

  const kick = (connection: Connection) => {
    const reqId = newReqId();
    send(connection, {
      cmd: 'aibot_event_callback',
      headers: { req_id: reqId },
      body: {
        msgid: newReqId(),
        create_time: Math.floor(Date.now() / 1000),
        aibotid: connection.botId,
        msgtype: 'event',
        event: { eventtype: 'disconnected_event' },
      },
    });
    setTimeout(() => connection.socket.close(1000, 'replaced'), 50).unref();
  };

  wss.on('connection', (socket) => {
    const connection: Connection = { socket, callbacks: new Map() };
    sockets.add(connection);
    events.push({ event: 'open', at: Date.now() });
    if (refuseConnections) socket.close(1013, 'try again later');
    socket.on('message', (data) => {
      if (connection.botId && silent.has(connection.botId)) return;
      let frame: WsFrameSeen;
      try {
        frame = JSON.parse(data.toString()) as WsFrameSeen;
      } catch {
        return;
      }
      const seen: ReceivedFrame = { botId: connection.botId ?? (frame.body?.bot_id as string | undefined), frame, at: Date.now() };
      frames.push(seen);
      const result = answer(connection, frame);
      if (!result) return;
      seen.errcode = result.errcode;
      ack(connection, frame.headers.req_id, result);
      if (result.errcode === 0) for (const listener of listeners) listener(seen);
    });
    socket.on('close', () => {
      sockets.delete(connection);
      events.push({ event: 'closed', ...(connection.botId ? { botId: connection.botId } : {}), at: Date.now() });
      if (connection.botId && live.get(connection.botId) === connection) live.delete(connection.botId);
    });
  });

  const subscribedConnection = (botId: string): Connection => {
    const connection = live.get(botId);
    if (!connection) throw new Error(`bot ${botId} is not subscribed`);
    return connection;
  };

  const push = (botId: string, cmd: string, body: Record<string, unknown>, kind: 'message' | 'event'): string => {
    const connection = subscribedConnection(botId);
    const reqId = newReqId();
    const eventtype = (body.event as { eventtype?: string } | undefined)?.eventtype;
    connection.callbacks.set(reqId, { kind, at: Date.now(), ...(eventtype ? { eventtype } : {}) });
    send(connection, {
      cmd,
      headers: { req_id: reqId },
      body: { msgid: newReqId(), aibotid: botId, create_time: Math.floor(Date.now() / 1000), ...body },
    });
    return reqId;
  };

  const fake: FakeWeComWs = {
    url: `ws://127.0.0.1:${port}`,
    frames,
    events,
    uploads: uploads.done,
    streamWindowMs: 6 * 60 * 1000,
    subscribed: (botId) => live.has(botId),
    async waitFor(find, what, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = find();
        if (found !== undefined && found !== false) return found;
        if (Date.now() > deadline)
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; frames: ${JSON.stringify(frames.slice(-10)).slice(0, 2000)}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    pushMessage: (botId, body) => push(botId, 'aibot_msg_callback', body, 'message'),
    pushEvent: (botId, eventtype, body = {}) =>
      push(botId, 'aibot_event_callback', { chattype: 'single', msgtype: 'event', ...body, event: { eventtype } }, 'event'),
    pushRaw: (botId, text) => void subscribedConnection(botId).socket.send(text),
    replies: (reqId) => frames.filter((seen) => seen.frame.headers.req_id === reqId && seen.errcode === 0).map((seen) => seen.frame),
    proactive: (botId) =>
      frames
        .filter((seen) => seen.frame.cmd === 'aibot_send_msg' && seen.errcode === 0 && (botId === undefined || seen.botId === botId))
        .map((seen) => seen.frame),
    onFrame(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    failNext: (cmd, errcode, errmsg = 'injected error', times = 1) =>
      void failures.set(cmd, [...(failures.get(cmd) ?? []), ...Array.from({ length: times }, () => ({ errcode, errmsg }))]),
    setSilent: (botId, on) => void (on ? silent.add(botId) : silent.delete(botId)),
    setRefuseConnections: (refuse) => {
      refuseConnections = refuse;
    },
    closeConnection: (botId, code = 1001) => live.get(botId)?.socket.close(code, 'server going away'),
    takeOver: (botId) => {
      const connection = live.get(botId);
      if (!connection) return;
      live.delete(botId);
      kick(connection);
    },
    addMedia(data, filename = 'file.bin') {
      const key = randomBytes(32);
      const id = randomBytes(8).toString('hex');
      media.set(id, { data: encryptMedia(data, key), filename });
      return { url: `http://127.0.0.1:${port}/media/${id}`, aeskey: key.toString('base64') };
    },
    async close() {
      for (const connection of sockets) connection.socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
