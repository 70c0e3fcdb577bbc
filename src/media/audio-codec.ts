import { splitAmr } from './amr-frames.js';
import { resolveFfmpegPath, runFfmpeg } from './ffmpeg.js';

/** WeCom voice messages: AMR, at most 60 s of playback and 2 MB per file (media/upload docs). */
export const VOICE_MAX_SECONDS = 60;
export const VOICE_MAX_BYTES = 2 * 1024 * 1024;

export type AudioFormat = 'amr' | 'wav' | 'mp3' | 'ogg';

/** Recognizes an audio file by its magic bytes; servers do not always send what was asked for. */
export function sniffAudioFormat(data: Buffer): AudioFormat | undefined {
  const head = data.subarray(0, 12).toString('latin1');
  if (head.startsWith('#!AMR\n')) return 'amr';
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WAVE') return 'wav';
  if (head.startsWith('OggS')) return 'ogg';
  if (head.startsWith('ID3') || (data[0] === 0xff && ((data[1] ?? 0) & 0xe0) === 0xe0)) return 'mp3';
  return undefined;
}

/** Any audio ffmpeg reads → 16 kHz mono 16-bit WAV, what speech recognizers expect. */
export async function toWav16kMono(ffmpegPath: string, audio: Buffer): Promise<Buffer> {
  const wav = await runFfmpeg(
    resolveFfmpegPath(ffmpegPath),
    ['-i', 'pipe:0', '-vn', '-ar', '16000', '-ac', '1', '-c:a', 'pcm_s16le', '-f', 'wav', 'pipe:1'],
    audio,
  );
  return withWavSizes(wav);
}

/** Any audio ffmpeg reads → AMR-NB 8 kHz mono at 12.2 kbit/s (WeCom's voice format). */
export function toAmr(ffmpegPath: string, audio: Buffer): Promise<Buffer> {
  return runFfmpeg(
    resolveFfmpegPath(ffmpegPath),
    ['-i', 'pipe:0', '-vn', '-ar', '8000', '-ac', '1', '-c:a', 'libopencore_amrnb', '-b:a', '12.2k', '-f', 'amr', 'pipe:1'],
    audio,
  );
}

/**
 * Synthesized speech → WeCom voice parts (AMR, ≤ 60 s and ≤ 2 MB each). `format` is a hint only:
 * ffmpeg probes the bytes. Empty `ffmpegPath` = the shipped binary.
 */
export function createAmrEncoder(ffmpegPath: string): (data: Buffer, format: string) => Promise<Buffer[]> {
  return async (data) => {
    const amr = sniffAudioFormat(data) === 'amr' ? data : await toAmr(ffmpegPath, data);
    return splitAmr(amr, VOICE_MAX_SECONDS, VOICE_MAX_BYTES);
  };
}

/**
 * ffmpeg cannot seek back into a pipe, so its WAV header says 0xFFFFFFFF for the RIFF and data
 * sizes; strict readers (Azure's WAV input) want the real ones, which we know once it is done.
 */
function withWavSizes(wav: Buffer): Buffer {
  if (wav.length < 12 || wav.toString('latin1', 0, 4) !== 'RIFF') return wav;
  const fixed = Buffer.from(wav);
  fixed.writeUInt32LE(fixed.length - 8, 4);
  let at = 12;
  while (at + 8 <= fixed.length) {
    const id = fixed.toString('latin1', at, at + 4);
    if (id === 'data') {
      fixed.writeUInt32LE(fixed.length - at - 8, at + 4);
      break;
    }
    at += 8 + fixed.readUInt32LE(at + 4);
  }
  return fixed;
}
