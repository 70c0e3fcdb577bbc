import { randomBytes } from 'node:crypto';

/**
 * One frame of the AI bot's long connection (智能机器人长连接, https://developer.work.weixin.qq.com/document/path/101463):
 * a JSON text message. Commands carry `cmd`; WeCom's acks carry none, only the command's req_id
 * and a top-level errcode.
 */
export interface WsFrame {
  cmd?: string;
  headers: { req_id: string };
  body?: unknown;
  errcode?: number;
  errmsg?: string;
}

export const WS_CMD = {
  subscribe: 'aibot_subscribe',
  ping: 'ping',
  msgCallback: 'aibot_msg_callback',
  eventCallback: 'aibot_event_callback',
  respond: 'aibot_respond_msg',
  respondWelcome: 'aibot_respond_welcome_msg',
  respondUpdate: 'aibot_respond_update_msg',
  send: 'aibot_send_msg',
  uploadInit: 'aibot_upload_media_init',
  uploadChunk: 'aibot_upload_media_chunk',
  uploadFinish: 'aibot_upload_media_finish',
} as const;

/** Commands that answer a callback, echoing its req_id: they die with the connection it came on. */
export const CALLBACK_REPLIES: ReadonlySet<string> = new Set([WS_CMD.respond, WS_CMD.respondWelcome, WS_CMD.respondUpdate]);

/** Error codes of WeCom's acks (docs/wecom-protocol.md, The AI bot's long connection). */
export const WS_ERRCODE = {
  /** Subscribe refused: invalid bot_id or secret. */
  invalidCredentials: 853000,
  /** A respond with an unknown, expired or event req_id. */
  invalidReqId: 846605,
  /** A stream frame more than 6 minutes after its first. */
  streamExpired: 846608,
  /** A command on a connection that is not (or no longer) the bot's subscribed one. */
  notSubscribed: 846609,
} as const;

/** Errcodes that may pass: WeCom's system error, a connection being replaced, rate limits. */
const TRANSIENT_ERRCODES = new Set([-1, WS_ERRCODE.notSubscribed, 846601, 846602, 45009, 45033]);

export function isTransientErrcode(errcode: number): boolean {
  return TRANSIENT_ERRCODES.has(errcode);
}

/** A req_id of our own: unique is all WeCom asks ("由开发者自行生成"). */
export function newReqId(prefix: string): string {
  return `${prefix}_${Date.now()}_${randomBytes(4).toString('hex')}`;
}

/** A frame as read off the socket, or why it is not one. */
export function parseFrame(data: string): WsFrame | { invalid: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return { invalid: 'not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { invalid: 'not a JSON object' };
  const frame = parsed as Record<string, unknown>;
  const headers = frame.headers as Record<string, unknown> | undefined;
  if (typeof headers !== 'object' || headers === null || typeof headers.req_id !== 'string') return { invalid: 'no headers.req_id' };
  if (frame.cmd !== undefined && typeof frame.cmd !== 'string') return { invalid: 'cmd is not a string' };
  if (frame.errcode !== undefined && typeof frame.errcode !== 'number') return { invalid: 'errcode is not a number' };
  return frame as unknown as WsFrame;
}

export const subscribeFrame = (botId: string, secret: string): WsFrame => ({
  cmd: WS_CMD.subscribe,
  headers: { req_id: newReqId(WS_CMD.subscribe) },
  body: { bot_id: botId, secret },
});

export const pingFrame = (): WsFrame => ({ cmd: WS_CMD.ping, headers: { req_id: newReqId(WS_CMD.ping) } });

/** A stream frame: `content` is the whole answer so far (WeCom shows it in place of the last). */
export function streamFrame(reqId: string, streamId: string, content: string, finish: boolean): WsFrame {
  return { cmd: WS_CMD.respond, headers: { req_id: reqId }, body: { msgtype: 'stream', stream: { id: streamId, finish, content } } };
}

export function welcomeFrame(reqId: string, text: string): WsFrame {
  return { cmd: WS_CMD.respondWelcome, headers: { req_id: reqId }, body: { msgtype: 'text', text: { content: text } } };
}

/** Where a proactive message goes: the group's chatid, or the user's id for a DM (chat_type 2 / 1). */
export interface WsChat {
  chatid: string;
  chat_type: 1 | 2;
}

export function markdownSendFrame(chat: WsChat, content: string): WsFrame {
  return { cmd: WS_CMD.send, headers: { req_id: newReqId(WS_CMD.send) }, body: { ...chat, msgtype: 'markdown', markdown: { content } } };
}

export type WsMediaType = 'image' | 'file' | 'voice' | 'video';

/** An uploaded medium as the reply to a callback (req_id echoed), or sent to a chat. */
export function mediaFrame(target: { reqId: string } | WsChat, type: WsMediaType, mediaId: string): WsFrame {
  if ('reqId' in target)
    return { cmd: WS_CMD.respond, headers: { req_id: target.reqId }, body: { msgtype: type, [type]: { media_id: mediaId } } };
  return {
    cmd: WS_CMD.send,
    headers: { req_id: newReqId(WS_CMD.send) },
    body: { ...target, msgtype: type, [type]: { media_id: mediaId } },
  };
}

export function uploadInitFrame(type: WsMediaType, filename: string, totalSize: number, totalChunks: number, md5: string): WsFrame {
  return {
    cmd: WS_CMD.uploadInit,
    headers: { req_id: newReqId(WS_CMD.uploadInit) },
    body: { type, filename, total_size: totalSize, total_chunks: totalChunks, md5 },
  };
}

export function uploadChunkFrame(uploadId: string, chunkIndex: number, data: Buffer): WsFrame {
  return {
    cmd: WS_CMD.uploadChunk,
    headers: { req_id: newReqId(WS_CMD.uploadChunk) },
    body: { upload_id: uploadId, chunk_index: chunkIndex, base64_data: data.toString('base64') },
  };
}

export function uploadFinishFrame(uploadId: string): WsFrame {
  return { cmd: WS_CMD.uploadFinish, headers: { req_id: newReqId(WS_CMD.uploadFinish) }, body: { upload_id: uploadId } };
}
