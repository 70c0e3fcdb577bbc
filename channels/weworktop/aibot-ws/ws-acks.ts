import type { WsFrame } from './ws-frames.js';
import type { FrameResult } from './ws-link.js';

/** WeCom acks every command; one without an ack in 5 s frees its req_id for the next frame (as the official SDK does). */
export const ACK_TIMEOUT_MS = 5000;

interface Pending {
  frame: WsFrame;
  resolve(result: FrameResult): void;
  timer?: NodeJS.Timeout;
}

/**
 * Frames written and waiting for WeCom's ack, matched by req_id. The frames of one stream share
 * the callback's req_id, so their acks cannot be told apart: one frame per req_id is in flight,
 * the next is written when its ack (or the timeout) comes.
 */
export class PendingAcks {
  private readonly byReqId = new Map<string, Pending[]>();

  constructor(
    private readonly write: (frame: WsFrame) => void,
    private readonly timeoutMs: number,
  ) {}

  request(frame: WsFrame): Promise<FrameResult> {
    return new Promise((resolve) => {
      const reqId = frame.headers.req_id;
      const queue = this.byReqId.get(reqId);
      const pending: Pending = { frame, resolve };
      if (queue) return void queue.push(pending);
      this.byReqId.set(reqId, [pending]);
      this.send(reqId, pending);
    });
  }

  /** An ack from WeCom; false when nothing waits for its req_id. */
  settle(ack: WsFrame): boolean {
    const errcode = ack.errcode ?? 0;
    return this.finish(
      ack.headers.req_id,
      errcode === 0
        ? { ok: true, ...(ack.body === undefined ? {} : { body: ack.body }) }
        : { ok: false, reason: 'error-ack', errcode, errmsg: ack.errmsg ?? '' },
    );
  }

  /** The connection closed: the frames in flight may have arrived, the queued ones were never written. */
  closeAll(detail: string): void {
    const queues = [...this.byReqId.values()];
    this.byReqId.clear();
    for (const [head, ...queued] of queues) {
      if (head) this.end(head, { ok: false, reason: 'closed', detail });
      for (const pending of queued) this.end(pending, { ok: false, reason: 'down', detail });
    }
  }

  get size(): number {
    return this.byReqId.size;
  }

  private send(reqId: string, pending: Pending): void {
    try {
      this.write(pending.frame);
    } catch (error) {
      this.finish(reqId, { ok: false, reason: 'down', detail: (error as Error).message });
      return;
    }
    pending.timer = setTimeout(
      () => this.finish(reqId, { ok: false, reason: 'timeout', detail: `no ack within ${this.timeoutMs} ms` }),
      this.timeoutMs,
    );
    pending.timer.unref();
  }

  private finish(reqId: string, result: FrameResult): boolean {
    const queue = this.byReqId.get(reqId);
    const head = queue?.shift();
    if (!queue || !head) return false;
    this.end(head, result);
    const next = queue[0];
    if (next) this.send(reqId, next);
    else this.byReqId.delete(reqId);
    return true;
  }

  private end(pending: Pending, result: FrameResult): void {
    clearTimeout(pending.timer);
    pending.resolve(result);
  }
}
