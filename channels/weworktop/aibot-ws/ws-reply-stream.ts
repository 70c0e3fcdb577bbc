import { randomBytes } from 'node:crypto';
import { userMessages } from '../../../src/pipeline/user-messages.js';
import { splitUtf8 } from '../wecom/text.js';
import { streamFrame, WS_ERRCODE, type WsFrame } from './ws-frames.js';
import type { FrameResult } from './ws-link.js';

/** A stream frame's content is cut at 20480 bytes (https://developer.work.weixin.qq.com/document/path/101463). */
export const MAX_STREAM_BYTES = 20480;
/** At most about three frames a second: WeCom redraws the whole text each time. */
export const MIN_FRAME_INTERVAL_MS = 333;
/**
 * WeCom takes a stream's frames for 6 minutes from its first (the official text); the stream is
 * closed 30 s short of it, and the rest of the answer goes out as a message of its own.
 */
export const STREAM_WINDOW_MS = 5.5 * 60 * 1000;

export interface WsReplyStreamOptions {
  /** The callback's req_id, echoed by every frame. */
  reqId: string;
  send(frame: WsFrame): Promise<FrameResult>;
  now?: () => number;
}

/** The failures after which the stream cannot be written again: the answer goes out proactively. */
export function endsStream(result: FrameResult): boolean {
  if (result.ok) return false;
  if (result.reason === 'stale' || result.reason === 'down') return true;
  return result.reason === 'error-ack' && (result.errcode === WS_ERRCODE.invalidReqId || result.errcode === WS_ERRCODE.streamExpired);
}

/**
 * One answer's stream on the long connection: the growing text at a bounded rate (one frame in
 * flight, none while unchanged), then the finish frame with the whole answer, always sent.
 */
export class WsReplyStream {
  readonly id = `stream_${randomBytes(8).toString('hex')}`;
  private readonly now: () => number;
  private firstAt: number | undefined;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closing: NodeJS.Timeout | undefined;
  private latest = '';
  private shown = '';
  private closed = false;
  /** Why the stream can no longer be written, once it cannot. */
  private failure: FrameResult | undefined;

  constructor(private readonly options: WsReplyStreamOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A frame can still be written: not finished, not refused, inside the window. */
  get usable(): boolean {
    return !this.closed && this.failure === undefined && !this.expired();
  }

  /** Frames went out and the stream is not finished: the user sees an open bubble. */
  get open(): boolean {
    return this.firstAt !== undefined && !this.closed;
  }

  partial(text: string): void {
    if (this.expired()) this.abandon(userMessages.answerFollows);
    if (!this.usable) return;
    this.latest = splitUtf8(text, MAX_STREAM_BYTES)[0] ?? '';
    this.pump();
  }

  /** The last frame, with the whole answer; its ack, or why the stream could not take it (then it never will). */
  async finish(content: string): Promise<FrameResult> {
    if (this.expired()) this.abandon(userMessages.answerFollows);
    const usable = this.usable;
    this.close();
    await this.inFlight;
    if (!usable || this.failure)
      return {
        ok: false,
        reason: 'stale',
        detail: this.failure ? `the stream failed: ${describe(this.failure)}` : 'the stream is finished or past its 6-minute window',
      };
    const result = await this.write(content, true);
    if (!result.ok) this.failure = result;
    return result;
  }

  /** Past the window, or when the answer ends without a reply: the open bubble is closed with what it shows (and, past the window, a note). */
  abandon(note?: string): void {
    const open = this.open && !this.failure;
    this.close();
    if (!open) return;
    const content = note ? `${this.shown}${this.shown ? '\n\n' : ''}${note}` : this.shown;
    void (this.inFlight ?? Promise.resolve()).then(() => this.write(content, true));
  }

  private expired(): boolean {
    return this.firstAt !== undefined && this.now() - this.firstAt >= STREAM_WINDOW_MS;
  }

  private close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.closing);
    this.timer = undefined;
  }

  private pump(): void {
    if (this.inFlight || this.timer || !this.usable || this.latest === this.shown || this.latest.trim() === '') return;
    const wait = this.lastSentAt + MIN_FRAME_INTERVAL_MS - this.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
      return;
    }
    const content = this.latest;
    this.inFlight = this.write(content, false).then((result) => {
      this.inFlight = undefined;
      if (result.ok) this.shown = content;
      else if (endsStream(result)) this.failure = result;
      this.pump();
    });
  }

  private write(content: string, finish: boolean): Promise<FrameResult> {
    const now = this.now();
    if (this.firstAt === undefined) {
      this.firstAt = now;
      // Closed 30 s before WeCom stops taking frames, saying the answer follows.
      this.closing = setTimeout(() => this.abandon(userMessages.answerFollows), STREAM_WINDOW_MS);
      this.closing.unref();
    }
    this.lastSentAt = now;
    return this.options.send(streamFrame(this.options.reqId, this.id, content, finish));
  }
}

function describe(result: FrameResult): string {
  if (result.ok) return 'ok';
  return result.reason === 'error-ack' ? `errcode ${result.errcode} ${result.errmsg}` : `${result.reason} (${result.detail})`;
}
