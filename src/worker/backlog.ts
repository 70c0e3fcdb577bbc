/** A message waiting for room in the answer worker: the rest of it stays in the inbox. */
export interface WaitingMessage {
  id: string;
  /** As AnswerJob.receivedAt (the inbox keeps it to the millisecond only). */
  receivedAt: number;
  replayed: boolean;
}

/** Dropped slots are let go once this many have piled up at the front. */
const COMPACT_AFTER = 1024;

/**
 * The messages beyond what the answer worker is given at once, oldest first, as ids: in a burst
 * of 10,000 callbacks the texts wait on disk, not in two threads' heaps.
 */
export class Backlog {
  private items: WaitingMessage[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(message: WaitingMessage): void {
    this.items.push(message);
  }

  peek(): WaitingMessage | undefined {
    return this.items[this.head];
  }

  shift(): WaitingMessage | undefined {
    if (this.head === this.items.length) return undefined;
    const next = this.items[this.head++];
    // An array's shift() copies it every time; the front is cut off in one go instead.
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return next;
  }
}
