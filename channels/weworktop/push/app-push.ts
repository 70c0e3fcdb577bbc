import type { DeliveredParts } from '../../../src/channel.js';
import type { PushContent, PushTarget } from '../../../src/push/push-message.js';
import { MAX_TEXT_BYTES, type SendPacer } from '../app/app-replier.js';
import type { WeComApiClient } from '../wecom/api-client.js';
import { UPLOAD_LIMITS } from '../wecom/media-loader.js';
import { markdownToText, splitUtf8 } from '../wecom/text.js';

type AppTarget = Extract<PushTarget, { user: string } | { users: string[] } | { party: string } | { tag: string }>;

/** message/send's recipient fields for a push target. */
export function recipientOf(to: AppTarget): Record<string, string> {
  if ('user' in to) return { touser: to.user };
  if ('users' in to) return { touser: to.users.join('|') };
  if ('party' in to) return { toparty: to.party };
  return { totag: to.tag };
}

/**
 * A push through a self-built app (message/send): texts split at 2048 bytes, markdown as plain
 * text unless enable_markdown (personal WeChat cannot show it), images uploaded first; paced per
 * recipient under WeCom's 30 a minute.
 */
export async function pushThroughApp(
  app: {
    api: WeComApiClient;
    pacer: SendPacer;
    enableMarkdown: boolean;
    loadImage(image: Extract<PushContent, { image: unknown }>['image'], maxBytes: number): Promise<Buffer>;
  },
  to: AppTarget,
  content: PushContent,
  parts: DeliveredParts,
): Promise<void> {
  const recipient = recipientOf(to);
  const paceKey = Object.values(recipient)[0]!;
  if ('image' in content) {
    if (parts.alreadySent()) return;
    const data = await app.loadImage(content.image, UPLOAD_LIMITS.image);
    const mediaId = await app.api.uploadMedia('image', data, 'image.png', 'image/png');
    await app.pacer.acquire(paceKey);
    await app.api.sendMessage({ ...recipient, msgtype: 'image', image: { media_id: mediaId } });
    return parts.sent();
  }
  const markdown = 'markdown' in content && app.enableMarkdown;
  const text = 'text' in content ? content.text : markdown ? content.markdown : markdownToText(content.markdown);
  const msgtype = markdown ? 'markdown' : 'text';
  for (const part of splitUtf8(text, MAX_TEXT_BYTES)) {
    if (parts.alreadySent()) continue;
    await app.pacer.acquire(paceKey);
    await app.api.sendMessage({ ...recipient, msgtype, [msgtype]: { content: part } });
    parts.sent();
  }
}
