import type { NormalizedMessage } from '../../src/message.js';
import type { AiBotCallback } from './aibot/aibot-message.js';

type StoredRaw =
  | { route: 'app'; agentId: string; fields: Record<string, string> }
  | { route: 'aibot'; callback: AiBotCallback }
  | { route: 'aibot-ws'; bot: string; callback: AiBotCallback }
  | { route: 'kf'; openKfid: string; externalUserid: string; msg?: { msgid: string; msgtype: string; [kind: string]: unknown } };

/**
 * What the bridge adds to a forwarded message from WeCom's payload: the route it came by, the app
 * or bot, and the ids of its media (fetch them with media/get, or the AI bot's URL).
 */
export function weworktopForwardFields(message: NormalizedMessage): Record<string, unknown> {
  const raw = message.raw as StoredRaw | null;
  if (!raw) return {};
  if (raw.route === 'app') {
    const { fields } = raw;
    return {
      route: 'app',
      agent_id: raw.agentId,
      msg_type: fields.MsgType,
      ...(fields.MediaId ? { media_id: fields.MediaId } : {}),
      ...(fields.Event ? { event: fields.Event, ...(fields.EventKey ? { event_key: fields.EventKey } : {}) } : {}),
    };
  }
  if (raw.route === 'kf') {
    const media = raw.msg && (raw.msg[raw.msg.msgtype] as { media_id?: string } | undefined)?.media_id;
    return { route: 'kf', open_kfid: raw.openKfid, msg_type: raw.msg?.msgtype, ...(media ? { media_id: media } : {}) };
  }
  const { callback } = raw;
  const urls = [callback.image?.url, ...(callback.mixed?.msg_item ?? []).map((item) => item.image?.url)].filter(Boolean);
  return {
    route: raw.route,
    ...(raw.route === 'aibot-ws' ? { bot_id: raw.bot } : {}),
    msg_type: callback.msgtype,
    ...(callback.chatid ? { chat_id: callback.chatid } : {}),
    ...(urls.length > 0 ? { image_urls: urls } : {}),
  };
}
