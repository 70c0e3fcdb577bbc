import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

/** A conversion that failed, with the tail of ffmpeg's stderr (its only useful diagnostic). */
export class FfmpegError extends Error {
  constructor(
    message: string,
    readonly stderrTail = '',
  ) {
    super(stderrTail ? `${message}: ${stderrTail}` : message);
    this.name = 'FfmpegError';
  }
}

export interface FfmpegLimits {
  timeoutMs?: number;
  maxOutputBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
const STDERR_TAIL_CHARS = 600;

let shippedPath: string | undefined;

/**
 * The configured ffmpeg, or the binary @ffmpeg-installer downloaded for this platform. Resolved on
 * first use, so a platform without the shipped binary fails only when audio is converted.
 */
export function resolveFfmpegPath(configured: string): string {
  if (configured) return configured;
  if (shippedPath) return shippedPath;
  try {
    shippedPath = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    return shippedPath;
  } catch (error) {
    // The installer throws strings, e.g. for an unsupported platform.
    throw new FfmpegError(
      `the ffmpeg shipped by @ffmpeg-installer is unavailable (${String(error instanceof Error ? error.message : error)}); set ffmpeg_path`,
    );
  }
}

/**
 * Runs ffmpeg with `input` on stdin and returns stdout: no temp files. `args` must read `pipe:0`
 * and write `pipe:1`. Output past `maxOutputBytes` or a run past `timeoutMs` kills the process.
 */
export function runFfmpeg(ffmpegPath: string, args: string[], input: Buffer, limits: FfmpegLimits = {}): Promise<Buffer> {
  const timeoutMs = limits.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxOutput = limits.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath, ['-hide_banner', '-nostats', '-loglevel', 'error', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let outputBytes = 0;
    let stderr = '';
    let failure: FfmpegError | undefined;
    const stop = (error: FfmpegError) => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(new FfmpegError(`ffmpeg took longer than ${timeoutMs} ms`)), timeoutMs);

    child.stdout.on('data', (chunk: Buffer) => {
      outputBytes += chunk.length;
      if (outputBytes > maxOutput) stop(new FfmpegError(`ffmpeg output exceeded ${maxOutput} bytes`));
      else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS * 2);
    });
    // ffmpeg stops reading when it rejects the input; the exit code tells why, not the EPIPE.
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new FfmpegError(`cannot run ffmpeg at ${ffmpegPath} (${error.message}); set ffmpeg_path`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const tail = stderr.trim().slice(-STDERR_TAIL_CHARS);
      if (failure) reject(failure);
      else if (code !== 0) reject(new FfmpegError(`ffmpeg exited with ${code ?? signal}`, tail));
      else if (outputBytes === 0) reject(new FfmpegError('ffmpeg produced no output', tail));
      else resolve(Buffer.concat(chunks));
    });
    child.stdin.end(input);
  });
}
