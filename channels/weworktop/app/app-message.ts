import type { MediaHandle, MessageKind, NormalizedMessage } from '../../../src/message.js';
import type { MediaLoader } from '../wecom/media-loader.js';

/** What the channel keeps opaque on NormalizedMessage.raw: enough to answer through the right app. */
export interface AppMessageRaw {
  route: 'app';
  agentId: string;
  fields: Record<string, string>;
}

const MIME_BY_KIND = { image: 'image/jpeg', voice: 'audio/amr', video: 'video/mp4', file: 'application/octet-stream' } as const;

/**
 * Normalizes a decrypted self-built-app message (https://developer.work.weixin.qq.com/document/path/90239). Returns undefined
 * for a MsgType WeCom may add later; the caller logs it and answers politely.
 */
/** `scope`: the app's, for apps past the primary one (assistants.ts: appScope). */
export function toAppMessage(
  fields: Record<string, string>,
  agentId: string,
  loadMedia: MediaLoader,
  scope?: string,
): NormalizedMessage | undefined {
  const msgType = (fields.MsgType ?? '').toLowerCase();
  // One object literal per message, not a base object spread into each kind: this runs inside every callback.
  const message = (kind: MessageKind, text: string, media?: MediaHandle): NormalizedMessage => ({
    id: dedupeKey(fields, agentId),
    channel: 'weworktop',
    chatType: 'single',
    senderId: fields.FromUserName ?? '',
    ...(scope ? { scope } : {}),
    isAt: false,
    kind,
    text,
    ...(media ? { media } : {}),
    time: new Date(Number(fields.CreateTime ?? 0) * 1000),
    raw: { route: 'app', agentId, fields } satisfies AppMessageRaw,
  });
  const withMedia = (kind: 'image' | 'voice' | 'video' | 'file', extra: Partial<MediaHandle> = {}): NormalizedMessage =>
    message(kind, '', { mimeType: MIME_BY_KIND[kind], ...extra, load: loadMedia(fields.MediaId ?? '', kind) });

  switch (msgType) {
    case 'text':
      return message('text', fields.Content ?? '');
    case 'image':
      return withMedia('image');
    case 'voice':
      return withMedia('voice', { format: (fields.Format ?? 'amr').toLowerCase() });
    case 'video':
      return withMedia('video', { format: 'mp4' });
    case 'file':
      // Undocumented for self-built apps but seen in the wild (docs/wecom-protocol.md): MediaId + FileName.
      return withMedia('file', { ...(fields.FileName ? { fileName: fields.FileName } : {}) });
    case 'location':
      return message('location', `[位置] ${fields.Label ?? ''} (${fields.Location_X ?? '?'}, ${fields.Location_Y ?? '?'})`.trim());
    case 'link':
      return message('link', [`[链接] ${fields.Title ?? ''}`, fields.Description ?? '', fields.Url ?? ''].filter(Boolean).join('\n'));
    case 'event':
      // Event names vary in case (LOCATION vs enter_agent), so they are compared lower-cased.
      return message('event', (fields.Event ?? '').toLowerCase());
    default:
      return undefined;
  }
}

/** WeCom's advice: dedupe messages by MsgId, events by FromUserName + CreateTime. */
export function dedupeKey(fields: Record<string, string>, agentId: string): string {
  if (fields.MsgId) return `${agentId}:msg:${fields.MsgId}`;
  return `${agentId}:event:${fields.FromUserName ?? ''}:${fields.CreateTime ?? ''}:${fields.Event ?? ''}`;
}
