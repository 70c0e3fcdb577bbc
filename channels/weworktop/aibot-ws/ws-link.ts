import { randomBytes } from 'node:crypto';
import type { ChannelLink } from '../../../src/channel.js';
import type { WsFrame } from './ws-frames.js';

/**
 * What became of a frame the replier asked the receiver to write on a bot's socket:
 * - acked: WeCom answered errcode 0 (`body` for upload acks);
 * - error-ack: WeCom answered another errcode;
 * - stale: a reply to a callback whose req_id died with its connection (never written);
 * - down: the bot was not connected within the wait (never written);
 * - closed: written, and the connection closed before the ack (it may have arrived);
 * - timeout: written, and no ack in time (it may have arrived).
 */
export type FrameResult =
  | { ok: true; body?: unknown }
  | { ok: false; reason: 'error-ack'; errcode: number; errmsg: string }
  | { ok: false; reason: 'stale' | 'down' | 'closed' | 'timeout'; detail: string };

/** Replier → receiver: write this frame on `bot`'s socket, waiting up to `waitMs` for it to be connected. */
export interface WsCall {
  type: 'aibot-ws-call';
  call: string;
  bot: string;
  frame: WsFrame;
  waitMs: number;
}

/** Receiver → replier: what became of call `call`. */
export interface WsCallResult {
  type: 'aibot-ws-result';
  call: string;
  result: FrameResult;
}

/** Replier → receiver: the answer to this message is over (the user may have three in flight). */
export interface WsAnswerDone {
  type: 'aibot-ws-done';
  bot: string;
  msgid: string;
}

export const isWsCall = (message: unknown): message is WsCall => (message as { type?: unknown } | null)?.type === 'aibot-ws-call';
export const isWsCallResult = (message: unknown): message is WsCallResult =>
  (message as { type?: unknown } | null)?.type === 'aibot-ws-result';
export const isWsAnswerDone = (message: unknown): message is WsAnswerDone =>
  (message as { type?: unknown } | null)?.type === 'aibot-ws-done';

/** Beyond the receiver's own bounds (the wait, the ack timeout): a main thread that never answers. */
const LINK_SLACK_MS = 10_000;

/** The replier's end of the link: frames out, each answered with its FrameResult. */
export class WsLinkClient {
  private calls = 0;
  /** A worker started again after a crash numbers its calls anew: the prefix keeps them apart from the dead one's. */
  private readonly prefix = randomBytes(4).toString('hex');
  private readonly pending = new Map<string, (result: FrameResult) => void>();

  constructor(
    private readonly link: ChannelLink,
    /** The receiver's ack timeout, for the bound above. */
    private readonly ackTimeoutMs: number,
  ) {
    link.onMessage((message) => {
      if (!isWsCallResult(message)) return;
      this.pending.get(message.call)?.(message.result);
      this.pending.delete(message.call);
    });
  }

  send(bot: string, frame: WsFrame, waitMs: number): Promise<FrameResult> {
    const call = `${this.prefix}-${++this.calls}`;
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          if (this.pending.delete(call)) resolve({ ok: false, reason: 'timeout', detail: 'the receiving half did not answer' });
        },
        waitMs + this.ackTimeoutMs + LINK_SLACK_MS,
      );
      timer.unref();
      this.pending.set(call, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      this.link.post({ type: 'aibot-ws-call', call, bot, frame, waitMs } satisfies WsCall);
    });
  }

  done(bot: string, msgid: string): void {
    this.link.post({ type: 'aibot-ws-done', bot, msgid } satisfies WsAnswerDone);
  }
}
