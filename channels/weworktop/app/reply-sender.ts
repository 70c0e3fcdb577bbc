import type { DeliveredParts } from '../../../src/channel.js';
import type { Logger } from '../../../src/logger.js';
import type { Reply } from '../../../src/reply.js';
import type { WeComApiClient } from '../wecom/api-client.js';
import { UPLOAD_LIMITS } from '../wecom/media-loader.js';
import { splitUtf8 } from '../wecom/split-utf8.js';
import { markdownToText } from './markdown-to-text.js';
import type { SendPacer } from './send-pacer.js';

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
