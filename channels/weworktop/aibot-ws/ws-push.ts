import type { DeliveredParts } from '../../../src/channel.js';
import type { PushContent, PushImage } from '../../../src/push/push-message.js';
import { splitUtf8 } from '../wecom/text.js';
import { isTransientErrcode, markdownSendFrame, mediaFrame, type WsChat, type WsFrame } from './ws-frames.js';
import type { FrameResult } from './ws-link.js';
import { MAX_STREAM_BYTES } from './ws-reply-stream.js';
import { uploadMedia, WS_UPLOAD_LIMITS, WsCallError } from './ws-upload.js';

/**
 * A push to a group chat through the AI bot's long connection (aibot_send_msg): text and markdown
 * as markdown in parts of 20480 bytes, an image uploaded on the connection first. Each frame
 * counts only once WeCom acked it.
 */
export async function pushToChat(
  send: (frame: WsFrame) => Promise<FrameResult>,
  chatid: string,
  content: PushContent,
  parts: DeliveredParts,
  loadImage: (image: PushImage, maxBytes: number) => Promise<Buffer>,
): Promise<void> {
  const chat: WsChat = { chatid, chat_type: 2 };
  const acked = async (frame: WsFrame): Promise<void> => {
    const result = await send(frame);
    if (!result.ok) throw pushFailure(frame.cmd ?? '', result);
  };
  if ('image' in content) {
    if (parts.alreadySent()) return;
    const data = await loadImage(content.image, WS_UPLOAD_LIMITS.image);
    let mediaId: string;
    try {
      mediaId = await uploadMedia(send, 'image', data, 'image.png');
    } catch (error) {
      throw error instanceof WsCallError ? pushFailure(error.cmd, error.result) : error;
    }
    await acked(mediaFrame(chat, 'image', mediaId));
    return parts.sent();
  }
  for (const part of splitUtf8('text' in content ? content.text : content.markdown, MAX_STREAM_BYTES)) {
    if (parts.alreadySent()) continue;
    await acked(markdownSendFrame(chat, part));
    parts.sent();
  }
}

/** WeCom's errcode and words on a refusal; transient when it may pass, or when the frame may have arrived (the push is retried). */
function pushFailure(cmd: string, result: Exclude<FrameResult, { ok: true }>): Error {
  if (result.reason === 'error-ack')
    return Object.assign(new Error(`${cmd}: errcode ${result.errcode} ${result.errmsg}`), {
      transient: isTransientErrcode(result.errcode),
      errcode: result.errcode,
      errmsg: result.errmsg,
    });
  return Object.assign(new Error(`${cmd}: ${result.reason} (${result.detail})`), { transient: true });
}
