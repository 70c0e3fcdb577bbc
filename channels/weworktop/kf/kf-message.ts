import type { MediaHandle, MessageKind, NormalizedMessage } from '../../../src/message.js';
import type { MediaLoader } from '../wecom/media-loader.js';

/** Who a pulled message is from: 3 a WeChat customer, 4 WeCom (an event), 5 a servicer in the WeCom client. */
export type KfOrigin = 3 | 4 | 5;
export const CUSTOMER = 3;
export const SYSTEM_EVENT = 4;
export const SERVICER = 5;

/** An event inside msg_list (msgtype "event"): the account and the customer are named in here. */
export interface KfEvent {
  event_type: string;
  open_kfid?: string;
  external_userid?: string;
  welcome_code?: string;
  scene?: string;
  change_type?: number;
  old_servicer_userid?: string;
  new_servicer_userid?: string;
  msg_code?: string;
  fail_msgid?: string;
  fail_type?: number;
  servicer_userid?: string;
  status?: number;
  recall_msgid?: string;
}

/** One item of kf/sync_msg's msg_list (https://developer.work.weixin.qq.com/document/path/94670). */
export interface KfMsg {
  msgid: string;
  /** Unix seconds. */
  send_time: number;
  origin: KfOrigin;
  msgtype: string;
  /** Absent on events: read them from `event`. */
  open_kfid?: string;
  external_userid?: string;
  servicer_userid?: string;
  text?: { content: string; menu_id?: string };
  image?: { media_id: string };
  voice?: { media_id: string };
  video?: { media_id: string };
  file?: { media_id: string };
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  link?: { title?: string; desc?: string; url?: string; pic_url?: string };
  miniprogram?: { title?: string; appid?: string; pagepath?: string };
  event?: KfEvent;
}

/** What the channel keeps on NormalizedMessage.raw for a customer of a 客服账号. */
export interface KfMessageRaw {
  route: 'kf';
  openKfid: string;
  externalUserid: string;
  /** From kf/customer/batchget, when it answered. */
  nickname?: string;
  /** The customer's message (absent on a welcome). */
  msg?: KfMsg;
  /** A welcome's enter_session: send_msg_on_event's code, and when the event happened (unix seconds). */
  welcome?: { code: string; at: number };
  /** The texts of a burst answered together (never stored: the burst's first message is). */
  burst?: string[];
}

export const kfMessageId = (msgid: string): string => `kf:${msgid}`;
/** The scope of a 客服账号's conversations: keyed by customer within it (ConfiguredRules.sessionKey). */
export const kfScope = (openKfid: string): string => `kf:${openKfid}`;

/** What the LLM is told of the kinds it cannot read. */
const NOTES: Record<string, string> = {
  video: '[客户发来一段视频]',
  file: '[客户发来一个文件]',
  business_card: '[客户发来一张名片]',
  channels_shop_product: '[客户分享了一件视频号商品]',
  channels_shop_order: '[客户分享了一个视频号订单]',
  merged_msg: '[客户转发了一组聊天记录]',
  channels: '[客户分享了一条视频号内容]',
};

/**
 * A customer's message as the core sees it: text, image and voice as they are (the pipeline reads,
 * sees or transcribes them), location and link in words, every other kind a note of what it was.
 */
export function toKfMessage(raw: KfMessageRaw, loadMedia: MediaLoader): NormalizedMessage {
  const msg = raw.msg;
  const message = (kind: MessageKind, text: string, media?: MediaHandle): NormalizedMessage => ({
    id: kfMessageId(msg?.msgid ?? `welcome:${raw.externalUserid}:${raw.welcome?.at ?? 0}`),
    channel: 'weworktop',
    chatType: 'single',
    senderId: raw.externalUserid,
    ...(raw.nickname ? { senderName: raw.nickname } : {}),
    scope: kfScope(raw.openKfid),
    isAt: false,
    kind,
    text,
    ...(media ? { media } : {}),
    time: new Date((msg?.send_time ?? raw.welcome?.at ?? 0) * 1000),
    raw,
  });
  if (!msg) return message('event', 'enter_session');
  switch (msg.msgtype) {
    case 'text':
      return message('text', msg.text?.content ?? '');
    case 'image':
      return message('image', '', { mimeType: 'image/jpeg', load: loadMedia(msg.image?.media_id ?? '', 'image') });
    case 'voice':
      // sync_msg is called with voice_format 0: AMR, what the transcribers take.
      return message('voice', '', { format: 'amr', mimeType: 'audio/amr', load: loadMedia(msg.voice?.media_id ?? '', 'voice') });
    case 'location': {
      const place = msg.location;
      return message(
        'location',
        `[位置] ${[place?.name, place?.address].filter(Boolean).join(' ')} (${place?.latitude ?? '?'}, ${place?.longitude ?? '?'})`,
      );
    }
    case 'link':
      return message('link', [`[链接] ${msg.link?.title ?? ''}`, msg.link?.desc ?? '', msg.link?.url ?? ''].filter(Boolean).join('\n'));
    case 'miniprogram':
      return message('text', `[客户分享了小程序：${msg.miniprogram?.title ?? ''}]`);
    default:
      return message('text', NOTES[msg.msgtype] ?? `[客户发来一条 ${msg.msgtype} 消息]`);
  }
}

/** The customer and the account of a pulled message; events name them inside `event`. */
export function partiesOf(msg: KfMsg): { openKfid: string; externalUserid: string } {
  return { openKfid: msg.open_kfid ?? msg.event?.open_kfid ?? '', externalUserid: msg.external_userid ?? msg.event?.external_userid ?? '' };
}

export function isKfMessage(message: NormalizedMessage): boolean {
  return (message.raw as KfMessageRaw | null)?.route === 'kf';
}
