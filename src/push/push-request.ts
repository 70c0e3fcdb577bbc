import type { PushContent, PushImage, PushMessage, PushTarget } from './push-message.js';

export interface PushRequest {
  message: PushMessage;
  idempotencyKey?: string;
}

/** A request refused: the field at fault, as the client wrote it, and what was expected. */
export class PushRequestError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

const TARGET_KINDS = ['user', 'users', 'party', 'tag', 'chat', 'webhook'] as const;
const CONTENT_KINDS = ['text', 'markdown', 'image'] as const;
const KNOWN = new Set(['to', 'agent_id', 'bot_id', 'idempotency_key', ...CONTENT_KINDS]);
/** WeCom user ids are 1-64 characters; "|" joins several in touser, so it cannot be in one. */
const USER_ID = /^[^|\s]{1,64}$/;
const DIGITS = /^\d{1,20}$/;
/** message/send takes at most 1000 users in one touser. */
const MAX_USERS = 1000;
/** Texts are split into WeCom-sized parts; beyond this a push is not a notification. */
const MAX_TEXT_CHARS = 100_000;

/** The JSON body of POST /api/messages (an object, or its text: curl -d sends no JSON content type), checked field by field. */
export function parsePushRequest(body: unknown): PushRequest {
  const value = typeof body === 'string' ? parseJson(body) : body;
  if (!isObject(value)) throw new PushRequestError('body', 'expected a JSON object like {"to": {"user": "alice"}, "text": "hi"}');
  for (const key of Object.keys(value)) if (!KNOWN.has(key)) throw new PushRequestError(key, 'unknown field');
  const message: PushMessage = { to: target(value.to), content: content(value) };
  if (value.agent_id !== undefined) message.agentId = digits(value.agent_id, 'agent_id', 'an AgentId (digits, e.g. 1000002)');
  if (value.bot_id !== undefined) {
    if (!('chat' in message.to)) throw new PushRequestError('bot_id', 'names the AI bot that sends to a chat: only with to.chat');
    message.botId = text(value.bot_id, 'bot_id', 'an AI bot id');
  }
  const key = value.idempotency_key;
  if (key === undefined) return { message };
  if (typeof key !== 'string' || key.length === 0 || key.length > 128)
    throw new PushRequestError('idempotency_key', 'expected a string of 1 to 128 characters');
  return { message, idempotencyKey: key };
}

function target(to: unknown): PushTarget {
  const kinds = isObject(to) ? Object.keys(to) : [];
  if (!isObject(to) || kinds.length !== 1 || !TARGET_KINDS.includes(kinds[0] as (typeof TARGET_KINDS)[number]))
    throw new PushRequestError('to', `expected an object with one of ${TARGET_KINDS.join(', ')}, e.g. {"user": "alice"}`);
  if ('user' in to) return { user: userId(to.user, 'to.user') };
  if ('users' in to) {
    const users = to.users;
    if (!Array.isArray(users) || users.length === 0 || users.length > MAX_USERS)
      throw new PushRequestError('to.users', `expected a list of 1 to ${MAX_USERS} WeCom user ids`);
    return { users: users.map((user, index) => userId(user, `to.users[${index}]`)) };
  }
  if ('party' in to) return { party: digits(to.party, 'to.party', 'a department id (digits)') };
  if ('tag' in to) return { tag: digits(to.tag, 'to.tag', 'a tag id (digits)') };
  if ('chat' in to) return { chat: text(to.chat, 'to.chat', 'an AI bot chat id') };
  return { webhook: text(to.webhook, 'to.webhook', 'the name of a group robot in weworktop.webhooks') };
}

function content(body: Record<string, unknown>): PushContent {
  const given = CONTENT_KINDS.filter((kind) => body[kind] !== undefined);
  if (given.length !== 1) throw new PushRequestError(given[1] ?? 'text', 'expected exactly one of text, markdown, image');
  if (body.text !== undefined) return { text: longText(body.text, 'text') };
  if (body.markdown !== undefined) return { markdown: longText(body.markdown, 'markdown') };
  return { image: image(body.image) };
}

function image(value: unknown): PushImage {
  if (isObject(value) && Object.keys(value).length === 1 && typeof value.base64 === 'string') {
    const data = value.base64.replace(/\s+/g, '');
    if (data.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw new PushRequestError('image.base64', 'expected base64 data');
    return { base64: data };
  }
  if (isObject(value) && Object.keys(value).length === 1 && typeof value.url === 'string') {
    if (!/^https?:\/\/[^\s]+$/.test(value.url)) throw new PushRequestError('image.url', 'expected an http(s) URL');
    return { url: value.url };
  }
  throw new PushRequestError('image', 'expected {"base64": "..."} or {"url": "https://..."}');
}

function userId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !USER_ID.test(value)) throw new PushRequestError(field, 'expected a WeCom user id');
  return value;
}

function digits(value: unknown, field: string, what: string): string {
  const written = typeof value === 'number' && Number.isInteger(value) && value >= 0 ? String(value) : value;
  if (typeof written !== 'string' || !DIGITS.test(written)) throw new PushRequestError(field, `expected ${what}`);
  return written;
}

function text(value: unknown, field: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 256) throw new PushRequestError(field, `expected ${what}`);
  return value;
}

function longText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new PushRequestError(field, 'expected a non-empty string');
  if (value.length > MAX_TEXT_CHARS) throw new PushRequestError(field, `expected at most ${MAX_TEXT_CHARS} characters`);
  return value;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PushRequestError('body', 'not valid JSON');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
