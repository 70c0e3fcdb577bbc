import { randomBytes } from 'node:crypto';
import type { SharedState } from '../../../src/channel.js';
import type { ReplyStream } from './reply-streams.js';
import { STREAM_TTL_MS, type StreamUpdate } from './stream-link.js';

/**
 * The reply streams with several processes (store "redis"): WeCom's refresh polls reach any
 * process, and the answer may be written by another one than the one that opened the stream. Each
 * stream is one shared record; the process whose worker finished an answer confirms it once any
 * process saw WeCom fetch it, or sends it again (its answer worker waits for that, not the others').
 */
export class SharedReplyStreams {
  /** Answers finished by this process's worker, by user message id, with when. */
  private readonly finishedHere = new Map<string, number>();
  /** One write at a time per stream: each reads the record the one before wrote. */
  private readonly writes = new Map<string, Promise<void>>();
  private checking = false;

  constructor(
    private readonly state: SharedState,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new stream for the user's message; undefined when `maxPerUser` of theirs are unfinished (on any process). */
  async open(userId: string, messageId: string, maxPerUser: number): Promise<ReplyStream | undefined> {
    if (!(await this.state.joinIfUnder(openKey(userId), messageId, maxPerUser, STREAM_TTL_MS))) return undefined;
    const stream: ReplyStream = {
      id: randomBytes(12).toString('hex'),
      userId,
      messageId,
      content: '',
      finished: false,
      images: [],
      createdAt: this.now(),
      responseUrlUsed: false,
      fetched: false,
    };
    await this.put(stream);
    await this.state.set(`aibot-msg:${messageId}`, stream.id, STREAM_TTL_MS);
    return stream;
  }

  async get(id: string): Promise<ReplyStream | undefined> {
    const text = await this.state.get(`aibot-stream:${id}`);
    return text === undefined ? undefined : (JSON.parse(text) as ReplyStream);
  }

  async forMessage(messageId: string): Promise<ReplyStream | undefined> {
    const id = await this.state.get(`aibot-msg:${messageId}`);
    return id === undefined ? undefined : this.get(id);
  }

  /** The replier's news of an answer written on this process. */
  apply(update: StreamUpdate): void {
    if (update.type === 'aibot-finish' && !this.finishedHere.has(update.msgid)) this.finishedHere.set(update.msgid, this.now());
    this.serially(update.msgid, async () => {
      const stream = await this.forMessage(update.msgid);
      if (!stream || stream.finished) return;
      if (update.type === 'aibot-stream') stream.content = update.content;
      else this.markFinished(stream, update.content ?? stream.content, update.images ?? []);
      await this.put(stream);
      if (stream.finished) await this.state.leave(openKey(stream.userId), stream.messageId);
    });
  }

  /** Closes a stream without an answer from the worker (a duplicate, a refusal). */
  async finish(stream: ReplyStream, content: string): Promise<void> {
    this.markFinished(stream, content, []);
    await this.put(stream);
    await this.state.leave(openKey(stream.userId), stream.messageId);
  }

  /** A poll showed WeCom the finished answer. */
  async fetched(stream: ReplyStream): Promise<void> {
    stream.fetched = true;
    await this.put(stream);
  }

  /**
   * The answers finished here: confirmed once fetched (on any process); those WeCom has not
   * fetched since `before`, or whose stream is gone, go out again another way.
   */
  async check(before: number, confirm: (messageId: string) => void, redeliver: (messageId: string) => void): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const [messageId, finishedAt] of this.finishedHere) {
        const stream = await this.forMessage(messageId);
        if (stream?.fetched) {
          this.finishedHere.delete(messageId);
          confirm(messageId);
        } else if (!stream || finishedAt < before) {
          this.finishedHere.delete(messageId);
          if (stream) await this.fetched(stream);
          redeliver(messageId);
        }
      }
    } catch {
      // The store is down: the next check tries again.
    } finally {
      this.checking = false;
    }
  }

  private markFinished(stream: ReplyStream, content: string, images: ReplyStream['images']): void {
    stream.content = content;
    stream.images = images;
    stream.finished = true;
    stream.finishedAt = this.now();
  }

  private put(stream: ReplyStream): Promise<void> {
    return this.state.set(`aibot-stream:${stream.id}`, JSON.stringify(stream), STREAM_TTL_MS - (this.now() - stream.createdAt));
  }

  private serially(key: string, write: () => Promise<void>): void {
    const next = (this.writes.get(key) ?? Promise.resolve()).then(write).catch(() => undefined);
    this.writes.set(key, next);
    void next.finally(() => this.writes.get(key) === next && this.writes.delete(key));
  }
}

/** A user's unfinished streams, as members (their message ids): WeCom allows a few at a time. */
const openKey = (userId: string) => `aibot-open:${userId}`;
