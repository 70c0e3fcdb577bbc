// The fake qyapi.weixin.qq.com: used by the tests, the benchmarks and the local simulator (npm run demo).
import { randomBytes } from 'node:crypto';
import { createFakeKf, type FakeKf, type FakeKfApi, type FakeKfSent, KF_APIS } from './fake-wecom-kf.js';
import { type FakeRequest, type FakeResponse, type FakeServerOptions, json, readForm, sleep, startFakeServer } from './http-fake.js';

export interface FakeWeComApp {
  agentId: string;
  secret: string;
  /** agent/get's name of the app. */
  name?: string;
  /** Who may use the app (可见范围), as agent/get reports it; default: department 1, the whole corp. */
  visible?: { users?: string[]; departments?: number[]; tags?: number[] };
}

export interface SentMessage {
  agentId: string;
  touser: string;
  msgtype: string;
  /** The whole message/send body. */
  body: Record<string, unknown>;
  at: number;
}

export interface UploadedMedia {
  mediaId: string;
  type: string;
  fileName: string;
  contentType: string;
  data: Buffer;
}

/** A POST to an AI bot response_url. */
export interface BotResponse {
  code: string;
  body: Record<string, unknown>;
}

export type FakeApi =
  | 'gettoken'
  | 'message/send'
  | 'media/upload'
  | 'media/get'
  | 'agent/get'
  | 'aibot/response'
  | 'webhook/send'
  | FakeKfApi;

/** A POST to a group robot's webhook/send. */
export interface RobotMessage {
  key: string;
  body: Record<string, unknown>;
  at: number;
}

/** A WeCom error answer, (with `body`) an answer that is not WeCom's JSON at all, or (`drop`) no answer. */
export type InjectedError = (WeComErrorAnswer | ForeignAnswer | DroppedConnection) & {
  times?: number;
  /** HTTP status for the failure (default 200, WeCom's way, and a misbehaving proxy's). */
  status?: number;
  /** Calls that succeed before the failure starts (e.g. 2: the third message/send fails). */
  after?: number;
};

interface WeComErrorAnswer {
  errcode: number;
  errmsg: string;
}

/** What a proxy or gateway may answer in WeCom's place: an HTML error page, broken JSON, JSON without errcode. */
interface ForeignAnswer {
  /** The body as it is; a function gets the request (e.g. to echo its access_token back). */
  body: string | ((request: FakeRequest) => string);
  /** Default text/html. */
  contentType?: string;
}

/** The connection closed under the request: a reset, or a kept-alive socket the server dropped. */
interface DroppedConnection {
  drop: true;
}

export interface FakeWeCom {
  url: string;
  sent: SentMessage[];
  uploads: UploadedMedia[];
  botResponses: BotResponse[];
  /** What group robots posted (webhook/send), over 20 a minute per robot refused with 45009 like WeCom. */
  robotMessages: RobotMessage[];
  waitForRobotMessages(count: number, timeoutMs?: number): Promise<RobotMessage[]>;
  /** Messages WeCom would silently drop: over 30 per user per minute. */
  dropped: SentMessage[];
  waitForSent(count: number, timeoutMs?: number): Promise<SentMessage[]>;
  waitForBotResponses(count: number, timeoutMs?: number): Promise<BotResponse[]>;
  injectError(api: FakeApi, error: InjectedError): void;
  setLatency(api: FakeApi, ms: number): void;
  /** Invalidates every issued token (the next call gets 42001). */
  expireTokens(): void;
  tokenFetches(agentId: string): number;
  /** When each call of `api` arrived, failed ones included. */
  callTimes(api: FakeApi): number[];
  /** Media the app can fetch with media/get. */
  addMedia(mediaId: string, data: Buffer, contentType: string, fileName?: string): void;
  /** A fresh AI bot response_url (one use, like WeCom's). */
  responseUrl(): string;
  /** 微信客服: accounts, customers, their messages, sessions, and what the bot sent them. */
  kf: FakeKf;
  /** Waits until `count` 微信客服 messages were sent (send_msg). */
  waitForKfSent(count: number, timeoutMs?: number): Promise<FakeKfSent[]>;
  reset(): void;
  close(): Promise<void>;
}

export interface FakeWeComOptions extends FakeServerOptions {
  corpId: string;
  apps: FakeWeComApp[];
  tokenTtlSeconds?: number;
  /** Called as each message/send is recorded (benchmarks time the delivery with it). */
  onSend?: (message: SentMessage, dropped: boolean) => void;
}

const MAX_CONTENT_BYTES = 2048;
const PER_USER_PER_MINUTE = 30;

/** qyapi.weixin.qq.com as far as the channel uses it: gettoken, message/send, media, agent/get (the doctor), AI bot response_url, 微信客服 (fake-wecom-kf.ts). */
export async function startFakeWeCom(options: FakeWeComOptions): Promise<FakeWeCom> {
  const tokens = new Map<string, { agentId: string; expiresAt: number }>();
  const fetches = new Map<string, number>();
  const errors = new Map<FakeApi, InjectedError[]>();
  const latency = new Map<FakeApi, number>();
  const calls = new Map<FakeApi, number[]>();
  const media = new Map<string, { data: Buffer; contentType: string; fileName?: string }>();
  const responseCodes = new Set<string>();
  const sent: SentMessage[] = [];
  const uploads: UploadedMedia[] = [];
  const botResponses: BotResponse[] = [];
  const robotMessages: RobotMessage[] = [];
  const dropped: SentMessage[] = [];
  // Send times per user inside the last minute: the rate check stays O(1) when benchmarks send tens of thousands.
  const recentByUser = new Map<string, number[]>();
  const waiters = new Set<() => void>();
  let sendCount = 0;
  const notify = () => {
    for (const wake of waiters) wake();
  };
  const ttl = options.tokenTtlSeconds ?? 7200;
  const kf = createFakeKf({ notify });

  const fail = (api: FakeApi, request: FakeRequest): FakeResponse | undefined => {
    const queue = errors.get(api);
    const next = queue?.[0];
    if (!next) return undefined;
    if (next.after) {
      next.after -= 1;
      return undefined;
    }
    next.times = (next.times ?? 1) - 1;
    if (next.times <= 0) queue!.shift();
    if ('drop' in next) return { drop: true };
    if ('body' in next) {
      const body = typeof next.body === 'function' ? next.body(request) : next.body;
      return { status: next.status ?? 200, headers: { 'content-type': next.contentType ?? 'text/html' }, body };
    }
    return json({ errcode: next.errcode, errmsg: next.errmsg }, next.status ?? 200);
  };

  /** The app a token belongs to, or the WeCom error for a missing, invalid or expired token. */
  const authorize = (request: FakeRequest): { agentId: string } | FakeResponse => {
    const token = request.query.get('access_token');
    if (!token) return json({ errcode: 41001, errmsg: 'access_token missing' });
    const entry = tokens.get(token);
    if (!entry) return json({ errcode: 40014, errmsg: 'invalid access_token' });
    if (entry.expiresAt <= Date.now()) return json({ errcode: 42001, errmsg: 'access_token expired' });
    return { agentId: entry.agentId };
  };

  async function handle(api: FakeApi, request: FakeRequest): Promise<FakeResponse> {
    if (options.record !== false)
      calls
        .set(api, calls.get(api) ?? [])
        .get(api)!
        .push(Date.now());
    const delay = latency.get(api);
    if (delay) await sleep(delay);
    if (api === 'gettoken') {
      const app = options.apps.find((candidate) => candidate.secret === request.query.get('corpsecret'));
      if (request.query.get('corpid') !== options.corpId) return json({ errcode: 40013, errmsg: 'invalid corpid' });
      if (!app) return json({ errcode: 40001, errmsg: 'invalid credential' });
      fetches.set(app.agentId, (fetches.get(app.agentId) ?? 0) + 1);
      const injected = fail(api, request);
      if (injected) return injected;
      const token = `token-${app.agentId}-${randomBytes(6).toString('hex')}`;
      tokens.set(token, { agentId: app.agentId, expiresAt: Date.now() + ttl * 1000 });
      return json({ errcode: 0, errmsg: 'ok', access_token: token, expires_in: ttl });
    }
    if (api === 'webhook/send') {
      const injected = fail(api, request);
      if (injected) return injected;
      return robot(request.query.get('key') ?? '', JSON.parse(request.body.toString('utf8')) as Record<string, unknown>);
    }
    if (api === 'aibot/response') {
      const code = request.query.get('response_code') ?? '';
      const injected = fail(api, request);
      if (injected) return injected;
      if (!responseCodes.delete(code)) return json({ errcode: 40001, errmsg: 'invalid or used response_code' });
      botResponses.push({ code, body: JSON.parse(request.body.toString('utf8')) as Record<string, unknown> });
      notify();
      return json({ errcode: 0, errmsg: 'ok' });
    }
    const auth = authorize(request);
    if (!('agentId' in auth)) return auth;
    const injected = fail(api, request);
    if (injected) return injected;
    if (api.startsWith('kf/'))
      return kf.handle(api as FakeKfApi, JSON.parse(request.body.toString('utf8') || '{}') as Record<string, unknown>);
    if (api === 'message/send') return send(auth.agentId, JSON.parse(request.body.toString('utf8')) as Record<string, unknown>);
    if (api === 'media/upload') return upload(request);
    if (api === 'agent/get') return agent(auth.agentId, request.query.get('agentid') ?? '');
    const item = media.get(request.query.get('media_id') ?? '');
    if (!item) return json({ errcode: 40007, errmsg: 'invalid media_id' });
    return {
      headers: {
        'content-type': item.contentType,
        ...(item.fileName ? { 'content-disposition': `attachment; filename="${item.fileName}"` } : {}),
      },
      body: item.data,
    };
  }

  function send(tokenAgent: string, body: Record<string, unknown>): FakeResponse {
    if (String(body.agentid) !== tokenAgent)
      return json({ errcode: 301002, errmsg: 'not allow operate another agent with this accesstoken' });
    const msgtype = String(body.msgtype);
    const payload = body[msgtype] as { content?: string; media_id?: string } | undefined;
    if (!payload) return json({ errcode: 41009, errmsg: `missing ${msgtype}` });
    if (payload.content !== undefined && Buffer.byteLength(payload.content) > MAX_CONTENT_BYTES)
      return json({ errcode: 44004, errmsg: 'content over 2048 bytes (WeCom would truncate it)' });
    const message: SentMessage = { agentId: tokenAgent, touser: String(body.touser), msgtype, body, at: Date.now() };
    const recent = recentByUser.get(message.touser) ?? [];
    while (recent.length > 0 && recent[0]! <= message.at - 60_000) recent.shift();
    // WeCom answers ok and drops the message: the fake records it apart so tests see the loss.
    const isDropped = recent.length >= PER_USER_PER_MINUTE;
    if (isDropped) {
      if (options.record !== false) dropped.push(message);
    } else {
      if (options.record !== false) sent.push(message);
      recent.push(message.at);
      recentByUser.set(message.touser, recent);
    }
    options.onSend?.(message, isDropped);
    notify();
    return json({ errcode: 0, errmsg: 'ok', msgid: `msg-${++sendCount}` });
  }

  /** A group robot: 20 messages a minute, text ≤ 2048 bytes, markdown ≤ 4096 (https://developer.work.weixin.qq.com/document/path/91770). */
  function robot(key: string, body: Record<string, unknown>): FakeResponse {
    if (!key) return json({ errcode: 93000, errmsg: 'invalid webhook url' });
    const msgtype = String(body.msgtype);
    const content = (body[msgtype] as { content?: string } | undefined)?.content;
    const limit = msgtype === 'markdown' ? 4096 : 2048;
    if (content !== undefined && Buffer.byteLength(content) > limit)
      return json({ errcode: 40058, errmsg: `content exceed max length ${limit}` });
    const now = Date.now();
    if (robotMessages.filter((message) => message.key === key && message.at > now - 60_000).length >= 20)
      return json({ errcode: 45009, errmsg: 'api freq out of limit' });
    robotMessages.push({ key, body, at: now });
    notify();
    return json({ errcode: 0, errmsg: 'ok' });
  }

  /** A self-built app's token reads its own app only. */
  function agent(tokenAgent: string, agentId: string): FakeResponse {
    const app = options.apps.find((candidate) => candidate.agentId === agentId);
    if (!app) return json({ errcode: 40056, errmsg: 'invalid agentid' });
    if (agentId !== tokenAgent) return json({ errcode: 60011, errmsg: 'no privilege to access/modify contact/party/agent' });
    const visible = app.visible ?? { departments: [1] };
    return json({
      errcode: 0,
      errmsg: 'ok',
      agentid: Number(agentId),
      name: app.name ?? `app ${agentId}`,
      allow_userinfos: { user: (visible.users ?? []).map((userid) => ({ userid })) },
      allow_partys: { partyid: visible.departments ?? [] },
      allow_tags: { tagid: visible.tags ?? [] },
    });
  }

  async function upload(request: FakeRequest): Promise<FakeResponse> {
    const form = await readForm(request);
    const file = form.get('media');
    if (!(file instanceof Blob)) return json({ errcode: 41001, errmsg: 'media field missing' });
    const mediaId = `media-${randomBytes(6).toString('hex')}`;
    const type = request.query.get('type') ?? '';
    uploads.push({ mediaId, type, fileName: (file as File).name, contentType: file.type, data: Buffer.from(await file.arrayBuffer()) });
    return json({ errcode: 0, errmsg: 'ok', type, media_id: mediaId, created_at: String(Math.floor(Date.now() / 1000)) });
  }

  const server = await startFakeServer((request) => {
    const api = request.path.replace(/^\/cgi-bin\//, '') as FakeApi;
    if (['gettoken', 'message/send', 'media/upload', 'media/get', 'agent/get', 'aibot/response', 'webhook/send', ...KF_APIS].includes(api))
      return handle(api, request);
    return json({ errcode: 404, errmsg: `fake WeCom has no ${request.method} ${request.path}` }, 404);
  }, options);

  const waitFor = async <T>(list: T[], count: number, timeoutMs: number, what: string): Promise<T[]> => {
    const deadline = Date.now() + timeoutMs;
    while (list.length < count) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${count} ${what}; got ${list.length}: ${JSON.stringify(list).slice(0, 2000)}`,
        );
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        waiters.add(wake);
      });
    }
    return list;
  };

  return {
    url: server.url,
    sent,
    uploads,
    botResponses,
    robotMessages,
    waitForRobotMessages: (count, timeoutMs = 3000) => waitFor(robotMessages, count, timeoutMs, 'group robot messages'),
    dropped,
    waitForSent: (count, timeoutMs = 3000) => waitFor(sent, count, timeoutMs, 'sent messages'),
    waitForBotResponses: (count, timeoutMs = 3000) => waitFor(botResponses, count, timeoutMs, 'response_url posts'),
    kf: kf.kf,
    waitForKfSent: (count, timeoutMs = 3000) => waitFor(kf.kf.sent, count, timeoutMs, '微信客服 messages (send_msg)'),
    injectError: (api, error) => errors.set(api, [...(errors.get(api) ?? []), { ...error, times: error.times ?? 1 }]),
    setLatency: (api, ms) => void latency.set(api, ms),
    expireTokens: () => {
      for (const entry of tokens.values()) entry.expiresAt = 0;
    },
    tokenFetches: (agentId) => fetches.get(agentId) ?? 0,
    callTimes: (api) => calls.get(api) ?? [],
    addMedia: (mediaId, data, contentType, fileName) => void media.set(mediaId, { data, contentType, ...(fileName ? { fileName } : {}) }),
    responseUrl() {
      const code = randomBytes(8).toString('hex');
      responseCodes.add(code);
      return `${server.url}/cgi-bin/aibot/response?response_code=${code}`;
    },
    reset() {
      sent.length = 0;
      recentByUser.clear();
      uploads.length = 0;
      botResponses.length = 0;
      robotMessages.length = 0;
      dropped.length = 0;
      errors.clear();
      latency.clear();
      calls.clear();
      kf.kf.reset();
    },
    close: () => server.close(),
  };
}
