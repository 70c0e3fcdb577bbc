import { randomBytes } from 'node:crypto';

export interface StreamImage {
  base64: string;
  md5: string;
}

export interface ReplyStream {
  id: string;
  userId: string;
  /** The msgid of the user message it answers: a retried callback gets the same stream. */
  messageId: string;
  /** The full answer so far (WeCom shows `content` as a whole, not as a delta). */
  content: string;
  finished: boolean;
  images: StreamImage[];
  createdAt: number;
  /** The message's response_url was spent (it takes one call). */
  responseUrlUsed: boolean;
  /** When it was finished; undefined while the answer is being written. */
  finishedAt?: number;
  /** WeCom polled it after it was finished: the user has the whole answer. */
  fetched: boolean;
}

export interface ReplyStreamsOptions {
  /** WeCom polls a stream for up to 6 minutes; keep state a little longer. */
  ttlMs: number;
  now?: () => number;
}

/**
 * Answers being written, by stream id. WeCom keeps polling ("refresh" callbacks) and each poll is
 * answered from here; the worker writing the answer only updates the state.
 */
export class ReplyStreams {
  private readonly streams = new Map<string, ReplyStream>();
  private readonly byMessage = new Map<string, ReplyStream>();
  private readonly unfinished = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: ReplyStreamsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A new stream for the user's message; undefined when `maxPerUser` of theirs are unfinished (as SharedReplyStreams.open). */
  open(userId: string, messageId: string, maxPerUser: number): ReplyStream | undefined {
    if ((this.unfinished.get(userId) ?? 0) >= maxPerUser) return undefined;
    return this.reopen(randomBytes(12).toString('hex'), userId, messageId, this.now());
  }

  /** A stream opened by an earlier run (its id kept with the message), empty again: the answer is written into it anew. */
  reopen(id: string, userId: string, messageId: string, createdAt: number): ReplyStream {
    this.sweep();
    const stream: ReplyStream = {
      id,
      userId,
      messageId,
      content: '',
      finished: false,
      images: [],
      createdAt,
      responseUrlUsed: false,
      fetched: false,
    };
    this.streams.set(stream.id, stream);
    this.byMessage.set(messageId, stream);
    this.unfinished.set(userId, (this.unfinished.get(userId) ?? 0) + 1);
    return stream;
  }

  get(id: string): ReplyStream | undefined {
    return this.streams.get(id);
  }

  forMessage(messageId: string): ReplyStream | undefined {
    return this.byMessage.get(messageId);
  }

  update(id: string, content: string): void {
    const stream = this.streams.get(id);
    if (stream && !stream.finished) stream.content = content;
  }

  finish(id: string, content: string, images: StreamImage[] = []): void {
    const stream = this.streams.get(id);
    if (!stream || stream.finished) return;
    stream.content = content;
    stream.images = images;
    this.markFinished(stream);
  }

  /** Finished streams WeCom has not polled since `before`: it may have stopped polling them. */
  *unfetched(before: number): Iterable<ReplyStream> {
    for (const stream of this.streams.values()) {
      if (stream.finishedAt !== undefined && !stream.fetched && stream.finishedAt < before) yield stream;
    }
  }

  get size(): number {
    return this.streams.size;
  }

  private sweep(): void {
    const cutoff = this.now() - this.options.ttlMs;
    for (const [id, stream] of this.streams) {
      if (stream.createdAt > cutoff) break;
      this.markFinished(stream);
      this.streams.delete(id);
      this.byMessage.delete(stream.messageId);
    }
  }

  private markFinished(stream: ReplyStream): void {
    if (stream.finished) return;
    stream.finished = true;
    stream.finishedAt = this.now();
    const left = (this.unfinished.get(stream.userId) ?? 1) - 1;
    if (left > 0) this.unfinished.set(stream.userId, left);
    else this.unfinished.delete(stream.userId);
  }
}
