import type { PushFailure } from '../push/push-failure.js';
import type { PushMessage } from '../push/push-message.js';

/** The main thread's door to the channel's `Replier.push` on the answer worker. */
export interface PushDispatch {
  /** Resolves once the channel sent every part; rejects with a PushFailure. `onPart` gets the parts sent so far. */
  push(message: PushMessage, partsSent: number, onPart: (partsSent: number) => void): Promise<void>;
}

interface Call {
  resolve(): void;
  reject(failure: PushFailure): void;
  onPart(partsSent: number): void;
}

/** Pushes handed to the answer worker and not answered yet, by call number. */
export class PushCalls {
  private readonly calls = new Map<number, Call>();
  private last = 0;

  start(post: (call: number) => void, onPart: (partsSent: number) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const call = ++this.last;
      this.calls.set(call, { resolve, reject, onPart });
      post(call);
    });
  }

  progress(call: number, partsSent: number): void {
    this.calls.get(call)?.onPart(partsSent);
  }

  done(call: number, failure: PushFailure | undefined): void {
    const waiting = this.calls.get(call);
    this.calls.delete(call);
    if (failure) waiting?.reject(failure);
    else waiting?.resolve();
  }

  /** The worker died: its pushes may go again (a part in flight may repeat). */
  failAll(reason: string): void {
    for (const call of [...this.calls.keys()]) this.done(call, { message: reason, transient: true });
  }
}
