import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { ChatEntry, ChatLog } from './chat-log.js';
import type { KfChatSender } from './kf-chat-sender.js';
import type { MediaStore } from './media-store.js';
import { readAsset } from './page-assets.js';
import type { PrivateChatSender } from './private-chat-sender.js';

/** What the page shows about the setup: who can chat, where the callbacks go, which model answers. */
export interface SimulatorInfo {
  users: readonly string[];
  botName: string;
  groups: Array<{ chatId: string; name: string }>;
  /** WeChat customers of the 客服账号 (微信客服): external_userid and nickname. */
  customers: Array<{ id: string; nickname: string }>;
  kfAccount: string;
  groupWhiteList: string[];
  groupPrefixes: string[];
  singlePrefixes: string[];
  /** One line: the model in use, or that the offline responder answers. */
  llm: string;
  offline: boolean;
  corpId: string;
  agentId: string;
  /** Throwaway values, shown so `npm run simulate` can be tried against the demo itself. */
  token: string;
  aesKey: string;
  appCallbackUrl: string;
  /** How the AI bot is reached: its callback URL, or (websocket) the long connection it dials. */
  botMode: 'webhook' | 'websocket';
  botCallbackUrl: string;
  botWsUrl: string;
  apiBase: string;
}

export interface SimulatorServerOptions {
  host: string;
  /** Tried first; when taken, any free port. 0: any free port. */
  port: number;
  info: SimulatorInfo;
  log: ChatLog;
  media: MediaStore;
  privateChats: PrivateChatSender;
  groupChats: GroupChats;
  kfChats: KfChatSender;
}

/** Group chats through the AI bot, over its callback URL or its long connection. */
export interface GroupChats {
  text(user: string, chatId: string, text: string): Promise<ChatEntry>;
}

export interface SimulatorServer {
  url: string;
  /** The port asked for, when another process had it and a free one was taken instead. */
  taken?: number;
  close(): Promise<void>;
}

const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
const MAX_TEXT_CHARS = 4000;
const USER_ID = /^[\w.@-]{1,64}$/;
const CHAT_ID = /^[\w-]{1,64}$/;
const HEARTBEAT_MS = 15_000;

/** A mistake in a page request, answered 400 with the reason. */
class BadRequest extends Error {}

/** The chat page and its API, on 127.0.0.1 only: it can post callbacks signed with the demo keys. */
export async function startSimulatorServer(options: SimulatorServerOptions): Promise<SimulatorServer> {
  const feeds = new Set<() => void>();
  let server = buildServer(options, feeds);
  let taken: number | undefined;
  try {
    await server.listen({ host: options.host, port: options.port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.port === 0) throw error;
    await server.close();
    taken = options.port;
    server = buildServer(options, feeds);
    await server.listen({ host: options.host, port: 0 });
  }
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}/`,
    ...(taken !== undefined ? { taken } : {}),
    async close() {
      for (const end of [...feeds]) end();
      await server.close();
    },
  };
}

function buildServer(options: SimulatorServerOptions, feeds: Set<() => void>): FastifyInstance {
  const { log, media, privateChats, groupChats, kfChats, info } = options;
  const server = Fastify({ bodyLimit: MAX_UPLOAD_BYTES, forceCloseConnections: true });
  // Uploads arrive as the file itself (the browser's File as the body), whatever its type.
  server.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const asset = async (name: string, reply: FastifyReply) => {
    const found = await readAsset(name);
    if (!found) return reply.status(404).send('not found');
    return reply.type(found.contentType).header('cache-control', 'no-cache').send(found.body);
  };
  server.get('/', (_request, reply) => asset('index.html', reply));
  server.get<{ Params: { name: string } }>('/assets/:name', (request, reply) => asset(request.params.name, reply));
  server.get('/api/info', async () => info);
  server.get('/api/history', async () => log.snapshot());
  server.get('/api/events', (request, reply) => {
    reply.hijack();
    const end = openFeed(reply.raw, log, () => feeds.delete(end));
    feeds.add(end);
    request.raw.on('close', end);
  });

  server.post<{ Body: { user?: unknown; chat?: unknown; chatId?: unknown; text?: unknown } }>('/api/send', async (request) => {
    const body = request.body ?? {};
    const user = userOf(body.user);
    const text = typeof body.text === 'string' ? body.text.trim() : '';
    if (!text || text.length > MAX_TEXT_CHARS) throw new BadRequest(`text must be 1 to ${MAX_TEXT_CHARS} characters`);
    const entry =
      body.chat === 'group'
        ? await groupChats.text(user, chatIdOf(body.chatId), text)
        : body.chat === 'kf'
          ? await kfChats.text(user, text)
          : await privateChats.text(user, text);
    return { id: entry.id };
  });
  // 微信客服: the customer opens the chat; a servicer writes (taking the session over) or ends the session.
  server.post<{ Body: { user?: unknown } }>('/api/kf/enter', async (request) => ({
    id: (await kfChats.enter(userOf(request.body?.user))).id,
  }));
  server.post<{ Body: { user?: unknown; text?: unknown } }>('/api/kf/servicer', async (request) => {
    const text = typeof request.body?.text === 'string' ? request.body.text.trim() : '';
    if (!text || text.length > MAX_TEXT_CHARS) throw new BadRequest(`text must be 1 to ${MAX_TEXT_CHARS} characters`);
    return { id: (await kfChats.servicer(userOf(request.body?.user), text)).id };
  });
  server.post<{ Body: { user?: unknown } }>('/api/kf/end', async (request) => ({
    id: (await kfChats.endSession(userOf(request.body?.user))).id,
  }));
  server.post<{ Body: { user?: unknown } }>('/api/enter', async (request) => ({
    id: (await privateChats.enter(userOf(request.body?.user))).id,
  }));
  server.post<{ Querystring: { user?: string }; Body: Buffer }>('/api/voice', async (request) => {
    const entry = await privateChats.voice(userOf(request.query.user), uploadOf(request.body)).catch((error: Error) => {
      throw new BadRequest(`could not convert this file to AMR: ${error.message}`);
    });
    return { id: entry.id };
  });
  server.post<{ Querystring: { user?: string }; Body: Buffer }>('/api/image', async (request) => {
    const type = String(request.headers['content-type'] ?? '');
    if (!type.startsWith('image/')) throw new BadRequest(`expected an image, got ${type || 'no content type'}`);
    return { id: (await privateChats.image(userOf(request.query.user), uploadOf(request.body), type)).id };
  });
  server.get<{ Params: { id: string } }>('/media/:id', async (request, reply) => {
    const item = await media.forBrowser(request.params.id);
    if (!item) return reply.status(404).send('no such media');
    // Files (not images or audio) download under the name the bot gave them.
    if (item.name && !/^(image|audio)\//.test(item.contentType))
      reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(item.name)}`);
    return reply.type(item.contentType).header('cache-control', 'max-age=3600').send(item.data);
  });

  server.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    const status = error instanceof BadRequest ? 400 : (error.statusCode ?? 500);
    void reply.status(status).send({ error: error.message });
  });
  return server;
}

/** Server-sent events: every new or changed entry and log line, until the page goes away. */
function openFeed(res: ServerResponse, log: ChatLog, forget: () => void): () => void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write('retry: 1000\n\n');
  const unsubscribe = log.subscribe((event) => res.write(`data: ${JSON.stringify(event)}\n\n`));
  // Proxies and browsers drop a silent connection.
  const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    unsubscribe();
    forget();
    res.end();
  };
}

function userOf(value: unknown): string {
  if (typeof value !== 'string' || !USER_ID.test(value))
    throw new BadRequest('user must be a WeCom user id: 1 to 64 letters, digits, "_", "-", "." or "@"');
  return value;
}

function chatIdOf(value: unknown): string {
  if (typeof value !== 'string' || !CHAT_ID.test(value)) throw new BadRequest('chatId must be 1 to 64 letters, digits, "_" or "-"');
  return value;
}

function uploadOf(body: unknown): Buffer {
  if (!Buffer.isBuffer(body) || body.length === 0) throw new BadRequest('send the file itself as the request body');
  return body;
}
