import { randomBytes, randomInt } from 'node:crypto';
import type { FakeWeCom } from '../fakes/fake-wecom.js';
import { AppCallbackPoster } from './app-callback-poster.js';
import { type ChatEntry, type ChatLog, privateChat } from './chat-log.js';
import type { DemoCredentials } from './demo-config.js';
import type { MediaStore } from './media-store.js';

export interface PrivateChatSenderOptions {
  /** The app's callback URL (the one entered in the WeCom console). */
  callbackUrl: string;
  credentials: DemoCredentials;
  wecom: FakeWeCom;
  log: ChatLog;
  media: MediaStore;
}

/** MsgId is a 64-bit integer, kept as a string (https://developer.work.weixin.qq.com/document/path/90239). */
const newMsgId = () => `${randomInt(1_000_000_000, 9_999_999_999)}${randomInt(100_000_000, 999_999_999)}`;

/**
 * Private chats with the self-built app, as a WeCom client and server would produce them: media
 * go to the fake API (for media/get), the callback is encrypted and signed exactly like WeCom's.
 */
export class PrivateChatSender {
  private readonly callbacks: AppCallbackPoster;

  constructor(private readonly options: PrivateChatSenderOptions) {
    this.callbacks = new AppCallbackPoster(options.callbackUrl, options.credentials, options.log);
  }

  async text(user: string, text: string): Promise<ChatEntry> {
    const entry = this.options.log.add({ chat: privateChat(user), from: 'user', user, kind: 'text', text });
    await this.deliver(entry, { FromUserName: user, MsgType: 'text', Content: text, MsgId: newMsgId() });
    return entry;
  }

  /** Any audio becomes AMR, what a WeCom client records; the page plays back exactly that. */
  async voice(user: string, audio: Buffer): Promise<ChatEntry> {
    const amr = await this.options.media.toAmr(audio);
    const mediaId = this.addMedia(amr, 'audio/amr', 'voice.amr');
    const shown = this.options.media.put(amr, 'audio/amr', 'voice.amr');
    const entry = this.options.log.add({
      chat: privateChat(user),
      from: 'user',
      user,
      kind: 'voice',
      text: `voice, AMR ${amr.length} bytes`,
      media: [{ url: `/media/${shown}`, type: 'audio' }],
    });
    await this.deliver(entry, { FromUserName: user, MsgType: 'voice', MediaId: mediaId, Format: 'amr', MsgId: newMsgId() });
    return entry;
  }

  async image(user: string, data: Buffer, contentType: string): Promise<ChatEntry> {
    const mediaId = this.addMedia(data, contentType, 'image');
    const shown = this.options.media.put(data, contentType);
    const entry = this.options.log.add({
      chat: privateChat(user),
      from: 'user',
      user,
      kind: 'image',
      text: `image, ${data.length} bytes`,
      media: [{ url: `/media/${shown}`, type: 'image' }],
    });
    await this.deliver(entry, {
      FromUserName: user,
      MsgType: 'image',
      PicUrl: `https://wework.qpic.cn/simulated/${mediaId}`,
      MediaId: mediaId,
      MsgId: newMsgId(),
    });
    return entry;
  }

  /** What WeCom sends when a user opens the app (answered with welcome_message, if set). */
  async enter(user: string): Promise<ChatEntry> {
    const entry = this.options.log.note(privateChat(user), `${user} opened the app (enter_agent event)`);
    await this.deliver(entry, { FromUserName: user, MsgType: 'event', Event: 'enter_agent', EventKey: '' });
    return entry;
  }

  /** Media the bot fetches with media/get, as WeCom keeps what users send for 3 days. */
  private addMedia(data: Buffer, contentType: string, fileName: string): string {
    const mediaId = `sim-${randomBytes(12).toString('hex')}`;
    this.options.wecom.addMedia(mediaId, data, contentType, fileName);
    return mediaId;
  }

  private deliver(entry: ChatEntry, fields: Record<string, string>): Promise<void> {
    return this.callbacks.post(entry, fields, { request: 'callback request', body: 'body, encrypted (as WeCom posts it)' });
  }
}
