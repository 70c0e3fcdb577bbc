import { randomBytes } from 'node:crypto';
import { sniffAudioFormat, toAmr } from '../src/media/audio-codec.js';
import { resolveFfmpegPath, runFfmpeg } from '../src/media/ffmpeg.js';

export interface StoredMedia {
  data: Buffer;
  contentType: string;
  name?: string;
}

/** Enough for the page's uploads and the bot's replies; the oldest go first. */
const MAX_ITEMS = 500;

/**
 * Images and audio the page shows, by id (served at /media/<id>). Browsers cannot play AMR, WeCom's
 * only voice format, so audio is converted once, on first request, to MP3 (WAV if the ffmpeg in use
 * has no MP3 encoder).
 */
export class MediaStore {
  private readonly items = new Map<string, StoredMedia>();
  private readonly playable = new Map<string, Promise<StoredMedia>>();

  constructor(private readonly ffmpegPath: string) {}

  put(data: Buffer, contentType: string, name?: string): string {
    const id = randomBytes(8).toString('hex');
    this.items.set(id, { data, contentType, ...(name ? { name } : {}) });
    if (this.items.size > MAX_ITEMS) {
      const oldest = this.items.keys().next().value as string;
      this.items.delete(oldest);
      this.playable.delete(oldest);
    }
    return id;
  }

  /** The item as a browser can play it: AMR becomes MP3, other media are returned as stored. */
  async forBrowser(id: string): Promise<StoredMedia | undefined> {
    const item = this.items.get(id);
    if (!item || sniffAudioFormat(item.data) !== 'amr') return item;
    let converted = this.playable.get(id);
    if (!converted) {
      converted = this.toBrowserAudio(item.data);
      this.playable.set(id, converted);
      converted.catch(() => this.playable.delete(id));
    }
    return converted;
  }

  /** Whatever audio the user picked → the AMR-NB a WeCom client records. */
  toAmr(audio: Buffer): Promise<Buffer> {
    return sniffAudioFormat(audio) === 'amr' ? Promise.resolve(audio) : toAmr(this.ffmpegPath, audio);
  }

  private async toBrowserAudio(amr: Buffer): Promise<StoredMedia> {
    const ffmpeg = resolveFfmpegPath(this.ffmpegPath);
    try {
      return {
        data: await runFfmpeg(ffmpeg, ['-i', 'pipe:0', '-ac', '1', '-c:a', 'libmp3lame', '-b:a', '48k', '-f', 'mp3', 'pipe:1'], amr),
        contentType: 'audio/mpeg',
      };
    } catch {
      return {
        data: await runFfmpeg(ffmpeg, ['-i', 'pipe:0', '-ac', '1', '-c:a', 'pcm_s16le', '-f', 'wav', 'pipe:1'], amr),
        contentType: 'audio/wav',
      };
    }
  }
}
