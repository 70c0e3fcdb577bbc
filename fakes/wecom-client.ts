import { randomBytes, randomInt } from 'node:crypto';
import { WeComCrypto } from '../channels/weworktop/wecom/crypto.js';
import { buildXml } from '../channels/weworktop/wecom/xml.js';

export interface ClientResponse {
  status: number;
  body: string;
}

export interface PostOptions {
  /** Sign, then change one character of the signature. */
  tamperSignature?: boolean;
  /** Encrypt with another receive id (e.g. a different corp). */
  receiveId?: string;
  /** Use this Encrypt value (still signed correctly) instead of the real ciphertext. */
  rawEncrypt?: string;
  /** Send this body as it is, with a signature over an empty Encrypt. */
  rawBody?: string;
  /** Callback timestamp in seconds (default now). */
  timestamp?: number;
}

const nonce = () => String(randomInt(100_000_000, 999_999_999));
const msgId = () => `${randomInt(1_000_000_000, 9_999_999_999)}${randomInt(100_000_000, 999_999_999)}`;
const now = () => Math.floor(Date.now() / 1000);

function tamper(signature: string): string {
  return (signature[0] === '0' ? '1' : '0') + signature.slice(1);
}

function signedQuery(crypto: WeComCrypto, encrypt: string, options: PostOptions, extra: Record<string, string> = {}): URLSearchParams {
  const timestamp = String(options.timestamp ?? now());
  const n = nonce();
  const signature = crypto.signature(timestamp, n, encrypt);
  return new URLSearchParams({ msg_signature: options.tamperSignature ? tamper(signature) : signature, timestamp, nonce: n, ...extra });
}

async function answer(response: Response): Promise<ClientResponse> {
  return { status: response.status, body: await response.text() };
}

/** Sends callbacks to a self-built app's URL exactly as WeCom does: encrypted XML, signed query. */
export class WeComAppClient {
  private readonly crypto: WeComCrypto;

  constructor(private readonly options: { url: string; token: string; encodingAesKey: string; corpId: string; agentId: string }) {
    this.crypto = new WeComCrypto({ token: options.token, encodingAesKey: options.encodingAesKey, receiveId: options.corpId });
  }

  /** The console's "save URL" check: GET with an encrypted echostr; answers the plaintext. */
  async verifyUrl(echo: string, options: PostOptions = {}): Promise<ClientResponse> {
    return answer(await fetch(this.verificationUrl(echo, options)));
  }

  /** The signed GET URL of a URL verification, without sending it (benchmarks). */
  verificationUrl(echo: string, options: PostOptions = {}): string {
    const echostr = this.crypto.encrypt(echo);
    return `${this.options.url}?${signedQuery(this.crypto, echostr, options, { echostr })}`;
  }

  /** The encrypted POST body and signed URL for a message, without sending it (benchmarks, the simulator). */
  encode(fields: Record<string, string | number>, options: PostOptions = {}): { url: string; body: string } {
    const message = buildXml({ ToUserName: this.options.corpId, CreateTime: now(), AgentID: Number(this.options.agentId), ...fields });
    const crypto =
      options.receiveId === undefined
        ? this.crypto
        : new WeComCrypto({ token: this.options.token, encodingAesKey: this.options.encodingAesKey, receiveId: options.receiveId });
    const encrypt = options.rawEncrypt ?? crypto.encrypt(message);
    const body = options.rawBody ?? buildXml({ ToUserName: this.options.corpId, Encrypt: encrypt, AgentID: this.options.agentId });
    return { url: `${this.options.url}?${signedQuery(this.crypto, encrypt, options)}`, body };
  }

  async post(fields: Record<string, string | number>, options: PostOptions = {}): Promise<ClientResponse> {
    const { url, body } = this.encode(fields, options);
    return answer(await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/xml' } }));
  }

  sendText(from: string, content: string, id: string = msgId(), options: PostOptions = {}): Promise<ClientResponse> {
    return this.post({ FromUserName: from, MsgType: 'text', Content: content, MsgId: id }, options);
  }

  sendEvent(from: string, event: string, extra: Record<string, string | number> = {}): Promise<ClientResponse> {
    return this.post({ FromUserName: from, MsgType: 'event', Event: event, ...extra });
  }

  /** 微信客服's callback: no sender, no content, only "pull this account" and a token for the pull. */
  kfEvent(token: string, openKfid: string, options: PostOptions = {}): Promise<ClientResponse> {
    return this.post({ MsgType: 'event', Event: 'kf_msg_or_event', Token: token, OpenKfId: openKfid }, options);
  }

  sendImage(from: string, mediaId: string): Promise<ClientResponse> {
    return this.post({
      FromUserName: from,
      MsgType: 'image',
      PicUrl: `https://wework.qpic.cn/${mediaId}`,
      MediaId: mediaId,
      MsgId: msgId(),
    });
  }

  sendVoice(from: string, mediaId: string): Promise<ClientResponse> {
    return this.post({ FromUserName: from, MsgType: 'voice', MediaId: mediaId, Format: 'amr', MsgId: msgId() });
  }

  sendVideo(from: string, mediaId: string): Promise<ClientResponse> {
    return this.post({ FromUserName: from, MsgType: 'video', MediaId: mediaId, ThumbMediaId: `${mediaId}-thumb`, MsgId: msgId() });
  }

  sendFile(from: string, mediaId: string, fileName: string): Promise<ClientResponse> {
    return this.post({ FromUserName: from, MsgType: 'file', MediaId: mediaId, FileName: fileName, MsgId: msgId() });
  }

  sendLocation(from: string, fields: { Location_X: string; Location_Y: string; Scale: string; Label: string }): Promise<ClientResponse> {
    return this.post({ FromUserName: from, MsgType: 'location', ...fields, MsgId: msgId() });
  }

  sendLink(from: string, fields: { Title: string; Description: string; Url: string }): Promise<ClientResponse> {
    return this.post({ FromUserName: from, MsgType: 'link', ...fields, PicUrl: '', MsgId: msgId() });
  }
}

export interface AiBotResponse {
  status: number;
  /** The decrypted passive answer, when there is one. */
  answer?: Record<string, unknown>;
  /** The raw body (the encrypted envelope). */
  body: string;
}

/** Sends AI bot (智能机器人) callbacks: JSON envelope, receive id "", encrypted JSON answers. */
export class AiBotClient {
  readonly crypto: WeComCrypto;

  constructor(private readonly options: { url: string; token: string; encodingAesKey: string; aibotId?: string }) {
    this.crypto = new WeComCrypto({ token: options.token, encodingAesKey: options.encodingAesKey, receiveId: '' });
  }

  async verifyUrl(echo: string, options: PostOptions = {}): Promise<ClientResponse> {
    return answer(await fetch(this.verificationUrl(echo, options)));
  }

  /** The signed GET URL of the AI bot's URL verification, without sending it. */
  verificationUrl(echo: string, options: PostOptions = {}): string {
    const echostr = this.crypto.encrypt(echo);
    return `${this.options.url}?${signedQuery(this.crypto, echostr, options, { echostr })}`;
  }

  /** The same bot credentials against another URL. */
  withUrl(url: string): AiBotClient {
    return new AiBotClient({ ...this.options, url });
  }

  encode(callback: Record<string, unknown>, options: PostOptions = {}): { url: string; body: string; nonce: string } {
    const encrypt = options.rawEncrypt ?? this.crypto.encrypt(JSON.stringify({ aibotid: this.options.aibotId ?? 'AIBOTID', ...callback }));
    const query = signedQuery(this.crypto, encrypt, options);
    return { url: `${this.options.url}?${query}`, body: options.rawBody ?? JSON.stringify({ encrypt }), nonce: query.get('nonce')! };
  }

  async post(callback: Record<string, unknown>, options: PostOptions = {}): Promise<AiBotResponse> {
    const { url, body, nonce: sent } = this.encode(callback, options);
    const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const text = await response.text();
    if (response.status !== 200 || text === '') return { status: response.status, body: text };
    const envelope = JSON.parse(text) as { encrypt: string; msgsignature: string; timestamp: number; nonce: string };
    if (envelope.nonce !== sent) throw new Error(`answer nonce ${envelope.nonce} is not the callback's ${sent}`);
    if (!this.crypto.verifySignature(envelope.msgsignature, String(envelope.timestamp), envelope.nonce, envelope.encrypt))
      throw new Error('answer signature does not verify');
    return { status: response.status, body: text, answer: JSON.parse(this.crypto.decrypt(envelope.encrypt)) as Record<string, unknown> };
  }

  /** A text message; `chatId` makes it a group message (the text should start with the @mention); `quote`: the message replied to. */
  sendText(
    from: string,
    content: string,
    options: { chatId?: string; msgId?: string; responseUrl?: string; quote?: Record<string, unknown> } = {},
    post: PostOptions = {},
  ): Promise<AiBotResponse> {
    return this.post(
      { ...this.base(from, options), msgtype: 'text', text: { content }, ...(options.quote ? { quote: options.quote } : {}) },
      post,
    );
  }

  sendVoice(
    from: string,
    transcript: string,
    options: { chatId?: string; msgId?: string; responseUrl?: string } = {},
  ): Promise<AiBotResponse> {
    return this.post({ ...this.base(from, options), msgtype: 'voice', voice: { content: transcript } });
  }

  sendMixed(
    from: string,
    items: Array<Record<string, unknown>>,
    options: { chatId?: string; msgId?: string; responseUrl?: string } = {},
  ): Promise<AiBotResponse> {
    return this.post({ ...this.base(from, options), msgtype: 'mixed', mixed: { msg_item: items } });
  }

  /** WeCom's poll for a stream's current state. */
  refresh(from: string, streamId: string, options: { chatId?: string } = {}): Promise<AiBotResponse> {
    return this.post({ ...this.base(from, options), msgtype: 'stream', stream: { id: streamId } });
  }

  sendEvent(from: string, eventtype: string, options: { chatId?: string } = {}): Promise<AiBotResponse> {
    return this.post({ ...this.base(from, options), msgtype: 'event', create_time: now(), event: { eventtype } });
  }

  private base(from: string, options: { chatId?: string; msgId?: string; responseUrl?: string }): Record<string, unknown> {
    return {
      msgid: options.msgId ?? randomBytes(16).toString('hex'),
      chattype: options.chatId ? 'group' : 'single',
      ...(options.chatId ? { chatid: options.chatId } : {}),
      from: { userid: from },
      response_url: options.responseUrl ?? 'http://127.0.0.1:9/unused-response-url',
    };
  }
}
