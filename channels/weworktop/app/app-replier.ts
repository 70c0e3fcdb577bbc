import { setTimeout as sleep } from 'node:timers/promises';
import type { DeliveredParts, ReplierContext } from '../../../src/channel.js';
import type { Logger } from '../../../src/logger.js';
import { createAmrEncoder } from '../../../src/media/audio-codec.js';
import type { NormalizedMessage } from '../../../src/message.js';
import type { Reply } from '../../../src/reply.js';
import { appScope } from '../assistants.js';
import type { AppCredentials, WeworktopConfig } from '../config.js';
import { WeComApiClient } from '../wecom/api-client.js';
import { type MediaLoader, mediaLoader, UPLOAD_LIMITS } from '../wecom/media-loader.js';
import { markdownToText, splitUtf8 } from '../wecom/text.js';
import { type AppMessageRaw, toAppMessage } from './app-message.js';

interface SendingApp {
  credentials: AppCredentials;
  api: WeComApiClient;
  sender: ReplySender;
  /** The loader the revived messages' media come through (made once: most messages are text). */
  media: MediaLoader;
  /** Its conversations' scope (assistants.ts). */
  scope: string | undefined;
}

/**
 * The self-built apps' answering half: each app's WeCom API client (access tokens, retries) and
 * reply sender (split, paced, through message/send), and the loader of the media users sent.
 */
export class AppReplier {
  private readonly apps = new Map<string, SendingApp>();
  /** WeCom's 30 messages per user per minute hold across the apps. */
  private readonly pacer: SendPacer;
  private readonly log: Logger;
  private readonly enableMarkdown: boolean;

  constructor(context: ReplierContext, section: WeworktopConfig, apps: AppCredentials[]) {
    this.log = context.logger.child({ module: 'weworktop' });
    this.enableMarkdown = section.enable_markdown;
    const { metrics } = context;
    this.pacer = new SendPacer({
      maxPerWindow: 30,
      windowMs: 60_000,
      onHeld: (ms) => {
        metrics.count('weworktop_wecom_sends_paced_total');
        metrics.count('weworktop_wecom_send_delay_seconds_total', undefined, ms / 1000);
      },
    });
    for (const credentials of apps) {
      const api = new WeComApiClient({
        apiBase: section.api_base,
        corpId: section.corp_id,
        agentId: credentials.agent_id,
        secret: credentials.corp_secret,
        proxy: section.proxy,
        timeoutMs: section.api_timeout * 1000,
        retries: section.api_retries,
        retryBaseDelayMs: section.api_retry_delay_ms,
        logger: context.logger,
        metrics,
      });
      const sender = new ReplySender({
        api,
        pacer: this.pacer,
        enableMarkdown: section.enable_markdown,
        logger: this.log,
        encodeVoice: createAmrEncoder(context.config.ffmpeg_path),
      });
      this.apps.set(credentials.agent_id, {
        credentials,
        api,
        sender,
        media: mediaLoader(api, this.log),
        scope: appScope(section, credentials.agent_id),
      });
    }
  }

  revive(raw: AppMessageRaw): NormalizedMessage | undefined {
    const app = this.apps.get(raw.agentId);
    return app ? toAppMessage(raw.fields, app.credentials.agent_id, app.media, app.scope) : undefined;
  }

  /** An app's replies need its access token: without one the LLM is not asked yet. */
  async prepare(raw: AppMessageRaw): Promise<void> {
    await this.appOf(raw).api.tokens.get();
  }

  send(reply: Reply, raw: AppMessageRaw, touser: string, parts?: DeliveredParts): Promise<void> {
    return this.appOf(raw).sender.send(reply, touser, parts);
  }

  /** A reply to a user through the first app: the AI bot's fallback for a DM it cannot deliver. */
  sendToUser(reply: Reply, touser: string): Promise<void> {
    const first = this.apps.values().next().value;
    if (!first) throw new Error('no self-built app is configured');
    return first.sender.send(reply, touser);
  }

  /** What a push through an app needs (the first app when `agentId` is absent): its API client, the shared pacer. */
  pushVia(agentId: string | undefined): { api: WeComApiClient; pacer: SendPacer; enableMarkdown: boolean } {
    const app = agentId === undefined ? this.apps.values().next().value : this.apps.get(agentId);
    if (!app) throw new Error(agentId === undefined ? 'no self-built app is configured' : `no app with agent id ${agentId}`);
    return { api: app.api, pacer: this.pacer, enableMarkdown: this.enableMarkdown };
  }

  notify(raw: AppMessageRaw, text: string): Promise<void> {
    return this.appOf(raw).sender.sendText(text, raw.fields.FromUserName ?? '');
  }

  /**
   * At start, once: an access token for every app, so a wrong corp_id or corp_secret, or a server
   * IP outside 企业可信IP, shows in the log now, not at the first user's message. In the background:
   * it never delays the callback server or its acks.
   */
  async checkAccessTokens(): Promise<void> {
    const results = await Promise.all(
      [...this.apps].map(async ([agentId, app]) => ({
        agentId,
        error: await app.api.tokens.get().then(
          () => undefined,
          (error: unknown) => error,
        ),
      })),
    );
    const fine = results.filter((result) => !result.error).map((result) => result.agentId);
    if (fine.length > 0)
      this.log.info(
        `start-up check: WeCom issued an access token for agent ${fine.join(', ')}: corp_id and corp_secret are right (the trusted IP list, 企业可信IP, is checked at the first send)`,
      );
    for (const { agentId, error } of results) {
      if (error) this.log.error({ agent: agentId }, `start-up check: no access token, so no reply can be sent: ${describe(error)}`);
    }
  }

  /** Every app can get an access token. */
  async ready(): Promise<{ ok: boolean; reason?: string }> {
    for (const [agentId, app] of this.apps) {
      try {
        await app.api.tokens.get();
      } catch (error) {
        return { ok: false, reason: `agent ${agentId}: no access token (${describe(error)})` };
      }
    }
    return { ok: true };
  }

  close(): void {
    for (const app of this.apps.values()) app.api.close();
  }

  /** An app's API client: 微信客服 goes through the primary app's, sharing its access token. */
  apiOf(agentId: string): WeComApiClient {
    const app = this.apps.get(agentId);
    if (!app) throw new Error(`no app with agent id ${agentId}`);
    return app.api;
  }

  private appOf(raw: AppMessageRaw): SendingApp {
    const app = this.apps.get(raw.agentId);
    if (!app) throw new Error(`no app with agent id ${raw.agentId}`);
    return app;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** message/send text and markdown content is cut at 2048 bytes by WeCom ("超过将截断"). */
export const MAX_TEXT_BYTES = 2048;

export interface ReplySenderOptions {
  api: WeComApiClient;
  pacer: SendPacer;
  enableMarkdown: boolean;
  logger: Logger;
  /** Turns synthesized speech into WeCom voice parts (AMR, ≤ 60 s, ≤ 2 MB each); wired by the voice engines. */
  encodeVoice?: (data: Buffer, format: string) => Promise<Buffer[]>;
}

/** Encodes a reply as WeCom app messages to one user: split, paced, in order. */
export class ReplySender {
  constructor(private readonly options: ReplySenderOptions) {}

  /** `parts`: skips the parts sent by an earlier try and counts those it sends (each message/send is one). */
  async send(reply: Reply, touser: string, parts?: DeliveredParts): Promise<void> {
    switch (reply.type) {
      case 'text':
      case 'error':
        return this.sendText(reply.text, touser, parts);
      case 'image':
        return this.sendMedia(
          'image',
          reply.data,
          `image.${reply.mimeType.includes('png') ? 'png' : 'jpg'}`,
          reply.mimeType,
          touser,
          parts,
        );
      case 'file':
        return this.sendMedia('file', reply.data, reply.fileName, 'application/octet-stream', touser, parts);
      case 'voice': {
        let voiceParts: Buffer[];
        try {
          voiceParts = reply.format === 'amr' ? [reply.data] : await this.encodeVoice(reply.data, reply.format);
        } catch (error) {
          // The answer still reaches the user, as text, when the audio cannot be made into AMR.
          this.options.logger.warn({ err: (error as Error).message }, 'voice reply could not be encoded as AMR; sending text');
          return this.sendText(reply.text ?? '（语音回复生成失败）', touser, parts);
        }
        for (const audio of voiceParts) await this.sendMedia('voice', audio, 'reply.amr', 'audio/amr', touser, parts);
        return;
      }
    }
  }

  async sendText(text: string, touser: string, parts?: DeliveredParts): Promise<void> {
    const markdown = this.options.enableMarkdown;
    // Personal WeChat (微信插件) shows markdown messages as "unsupported", so plain text is the default.
    const content = markdown ? text : markdownToText(text);
    const msgtype = markdown ? 'markdown' : 'text';
    for (const part of splitUtf8(content, MAX_TEXT_BYTES)) {
      if (parts?.alreadySent()) continue;
      await this.options.pacer.acquire(touser);
      await this.options.api.sendMessage({ touser, msgtype, [msgtype]: { content: part } });
      parts?.sent();
    }
  }

  private async sendMedia(
    type: keyof typeof UPLOAD_LIMITS,
    data: Buffer,
    fileName: string,
    contentType: string,
    touser: string,
    parts?: DeliveredParts,
  ): Promise<void> {
    if (data.length > UPLOAD_LIMITS[type]) {
      this.options.logger.warn(
        { type, bytes: data.length, limit: UPLOAD_LIMITS[type] },
        "reply media over WeCom's upload limit; sending a note instead",
      );
      return this.sendText(`（回复的${type === 'image' ? '图片' : '文件'}太大，企业微信无法发送）`, touser, parts);
    }
    if (parts?.alreadySent()) return;
    const mediaId = await this.options.api.uploadMedia(type, data, fileName, contentType);
    await this.options.pacer.acquire(touser);
    await this.options.api.sendMessage({ touser, msgtype: type, [type]: { media_id: mediaId } });
    parts?.sent();
  }

  private async encodeVoice(data: Buffer, format: string): Promise<Buffer[]> {
    if (!this.options.encodeVoice) throw new Error(`cannot send ${format} voice: no AMR encoder configured`);
    return this.options.encodeVoice(data, format);
  }
}

export interface SendPacerOptions {
  /** WeCom delivers at most 30 app messages per user per minute and silently drops the rest. */
  maxPerWindow: number;
  windowMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** A send was held back this long (once per send that waited). */
  onHeld?: (ms: number) => void;
}

/**
 * Keeps each user under WeCom's per-user message rate: a send that would exceed it waits for the
 * window to free up instead of being dropped by WeCom without a trace.
 */
export class SendPacer {
  private readonly sent = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private lastSweep = 0;

  constructor(private readonly options: SendPacerOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => sleep(ms));
  }

  async acquire(user: string): Promise<void> {
    const asked = this.now();
    for (;;) {
      const now = this.now();
      if (now - this.lastSweep > this.options.windowMs) this.sweep(now);
      const times = this.sent.get(user) ?? [];
      while (times.length && times[0]! <= now - this.options.windowMs) times.shift();
      if (times.length < this.options.maxPerWindow) {
        times.push(now);
        this.sent.set(user, times);
        if (now > asked) this.options.onHeld?.(now - asked);
        return;
      }
      await this.sleep(times[0]! + this.options.windowMs - now + 1);
    }
  }

  /** Users with sends still inside the window (bounded by recent activity). */
  get trackedUsers(): number {
    return this.sent.size;
  }

  /** Forgets users quiet for a whole window; runs at most once a window. */
  private sweep(now: number): void {
    this.lastSweep = now;
    const cutoff = now - this.options.windowMs;
    for (const [user, times] of this.sent) {
      while (times.length && times[0]! <= cutoff) times.shift();
      if (!times.length) this.sent.delete(user);
    }
  }
}
