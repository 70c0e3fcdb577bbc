import type { Logger } from '../../../src/logger.js';
import type { MediaHandle } from '../../../src/message.js';
import { isTransient } from '../../../src/transient.js';
import { UserFacingError } from '../../../src/user-facing-error.js';
import type { WeComApiClient } from './api-client.js';

export type MediaKind = 'image' | 'voice' | 'video' | 'file';
/** The loader of a media a user sent, by its media_id (media/get). */
export type MediaLoader = (mediaId: string, kind: MediaKind) => MediaHandle['load'];

/** media/upload limits (bytes); a download is allowed twice as much, whatever WeCom hands out. */
export const UPLOAD_LIMITS = { image: 10 * 1024 * 1024, voice: 2 * 1024 * 1024, video: 10 * 1024 * 1024, file: 20 * 1024 * 1024 } as const;

const KIND_NAMES = { image: '图片', voice: '语音', video: '视频', file: '文件' } as const;

/** Media users sent to an app or a 客服账号, fetched with that app's token when the pipeline needs the bytes. */
export function mediaLoader(api: WeComApiClient, log: Logger): MediaLoader {
  return (mediaId, kind) => async () => {
    try {
      return (await api.downloadMedia(mediaId, UPLOAD_LIMITS[kind] * 2)).data;
    } catch (error) {
      log.warn({ mediaId, kind, err: error instanceof Error ? error.message : String(error) }, 'media download failed');
      // An outage (-1, 5xx) is retried with the message; the user hears this sentence on its last try.
      throw new UserFacingError(`没能从企业微信取到这条${KIND_NAMES[kind]}，请再发一次。`, { cause: error, transient: isTransient(error) });
    }
  };
}
