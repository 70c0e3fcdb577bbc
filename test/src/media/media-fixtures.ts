// Real audio and images made and inspected with the shipped ffmpeg, so tests check what a player would show.
import { spawnSync } from 'node:child_process';
import { resolveFfmpegPath } from '../../../src/media/ffmpeg.js';

export const FFMPEG = resolveFfmpegPath('');

const ENCODE_ARGS = {
  amr: ['-ar', '8000', '-ac', '1', '-c:a', 'libopencore_amrnb', '-b:a', '12.2k', '-f', 'amr'],
  wav: ['-ar', '16000', '-ac', '1', '-c:a', 'pcm_s16le', '-f', 'wav'],
  mp3: ['-ar', '24000', '-ac', '1', '-c:a', 'libmp3lame', '-f', 'mp3'],
} as const;

/** A sine tone of `seconds` in the given format. */
export function tone(seconds: number, format: keyof typeof ENCODE_ARGS, frequency = 440): Buffer {
  const run = spawnSync(
    FFMPEG,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=${frequency}:duration=${seconds}`,
      ...ENCODE_ARGS[format],
      'pipe:1',
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.status !== 0) throw new Error(`ffmpeg could not make a tone: ${run.stderr.toString()}`);
  return run.stdout;
}

export interface ProbedAudio {
  /** ffmpeg's input format name, e.g. "amr", "wav". */
  container: string;
  /** Codec of the first audio stream, e.g. "amr_nb", "pcm_s16le". */
  codec: string;
  sampleRate: number;
  channels: string;
  /** Decoded duration (the whole file was decoded, so it is exact). */
  seconds: number;
}

/** Decodes the whole file (`-f null`); throws if ffmpeg cannot. */
export function probeAudio(data: Buffer): ProbedAudio {
  const run = spawnSync(FFMPEG, ['-hide_banner', '-i', 'pipe:0', '-f', 'null', '-'], { input: data, maxBuffer: 64 * 1024 * 1024 });
  const log = run.stderr.toString();
  if (run.status !== 0) throw new Error(`ffmpeg cannot decode ${data.length} bytes: ${log.slice(-400)}`);
  const input = /Input #0, (\w+)/.exec(log);
  const stream = /Stream #0:0[^:]*: Audio: (\w+)[^,]*, (\d+) Hz, (\w+)/.exec(log);
  const times = [...log.matchAll(/time=(\d+):(\d+):(\d+\.\d+)/g)].at(-1);
  if (!input || !stream || !times) throw new Error(`unexpected ffmpeg output: ${log.slice(-400)}`);
  return {
    container: input[1]!,
    codec: stream[1]!,
    sampleRate: Number(stream[2]),
    channels: stream[3]!,
    seconds: Number(times[1]) * 3600 + Number(times[2]) * 60 + Number(times[3]),
  };
}

/** A test-pattern image; `noise` makes it incompressible (a big PNG). */
export function picture(format: 'png' | 'webp', width: number, height: number, noise = false): Buffer {
  const source = noise ? `nullsrc=s=${width}x${height},geq=random(1)*255:random(2)*255:random(3)*255` : `testsrc=s=${width}x${height}`;
  const codec = format === 'png' ? ['-c:v', 'png', '-f', 'image2pipe'] : ['-c:v', 'libwebp', '-f', 'webp'];
  const run = spawnSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', source, '-frames:v', '1', ...codec, 'pipe:1'], {
    maxBuffer: 128 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`ffmpeg could not make a picture: ${run.stderr.toString()}`);
  return run.stdout;
}

/** Width and height of an image as ffmpeg reads it. */
export function probeImage(data: Buffer): { codec: string; width: number; height: number } {
  const run = spawnSync(FFMPEG, ['-hide_banner', '-i', 'pipe:0', '-f', 'null', '-'], { input: data, maxBuffer: 64 * 1024 * 1024 });
  const stream = /Stream #0:0[^:]*: Video: (\w+).*?, (\d+)x(\d+)/.exec(run.stderr.toString());
  if (run.status !== 0 || !stream) throw new Error(`ffmpeg cannot read the image: ${run.stderr.toString().slice(-400)}`);
  return { codec: stream[1]!, width: Number(stream[2]), height: Number(stream[3]) };
}
