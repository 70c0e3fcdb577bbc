import type { Pool } from 'undici';
import { WeComAppClient } from '../fakes/wecom-client.js';
import { AES_KEY, AGENT_ID, CALLBACK_PATH, CORP_ID, TOKEN } from './bench-app.js';

export interface SignedRequest {
  method: 'GET' | 'POST';
  /** Path and signed query (the load generator adds the host). */
  path: string;
  body?: string;
}

// A relative URL: the client only prefixes it to the signed query.
const client = new WeComAppClient({ url: CALLBACK_PATH, token: TOKEN, encodingAesKey: AES_KEY, corpId: CORP_ID, agentId: AGENT_ID });

/** WeCom MsgIds are 19-digit decimals; these never repeat within a process. */
let serial = 0;
export const nextMsgId = (): string => `7${String(++serial).padStart(18, '0')}`;

/** An encrypted, signed text message callback exactly as WeCom posts it. */
export function textCallback(user: string, msgId: string, content: string): SignedRequest {
  const { url, body } = client.encode({ FromUserName: user, MsgType: 'text', Content: content, MsgId: msgId });
  return { method: 'POST', path: url, body };
}

/** A message from a user never seen before with a MsgId never seen before: dedupe, per-user order and pacing never short-cut or hold it. */
export function freshTextCallback(): SignedRequest {
  const msgId = nextMsgId();
  return textCallback(`bench-user-${msgId.slice(-9)}`, msgId, `hello from the benchmark ${msgId}`);
}

/** The console's URL check: GET with an encrypted echostr. */
export function verificationRequest(): SignedRequest {
  return { method: 'GET', path: client.verificationUrl(`echo-${nextMsgId()}`) };
}

/** A pooled request as the load generator sends it: the body stays a view of the pool's buffer. */
export interface PooledRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: Buffer;
  /** Default: text/xml with a body (a WeCom callback). */
  headers?: Record<string, string>;
}

/** Requests per pool buffer are packed into buffers of this size. */
const CHUNK_BYTES = 16 * 1024 * 1024;

/**
 * Requests built before a run, so AES and SHA-1 are not the load generator's cost during it.
 * `cycle`: reuse them (for servers that do not dedupe); otherwise a run that outpaces the pool
 * gets new ones built on the spot, counted in `builtDuringRun`.
 *
 * They are kept off the JS heap, packed into large buffers: the server under test shares this
 * process, and 210,000 of them as strings were 240 MB of heap that its every major GC had to mark
 * (final pauses of 10-30 ms and marking steps of up to 12 ms in the middle of a run). A server
 * in production does not carry its clients' memory.
 */
export class RequestPool {
  private chunks: Buffer[] = [];
  /** Per request: its chunk, where its path starts, where its body starts, where it ends. */
  private where = new Uint32Array(0);
  private methods: Array<PooledRequest['method']> = [];
  private size = 0;
  private cursor = 0;
  builtDuringRun = 0;

  constructor(
    private readonly make: () => SignedRequest,
    private readonly cycle: boolean,
  ) {}

  /** Yields to the event loop now and then, as a server's work does: the app's GC policy runs between tasks. */
  async fill(count: number): Promise<void> {
    this.release();
    this.where = new Uint32Array(count * 4);
    let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let used = 0;
    for (let i = 0; i < count; i++) {
      if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
      const request = this.make();
      const bytes = Buffer.byteLength(request.path) + (request.body === undefined ? 0 : Buffer.byteLength(request.body));
      if (used + bytes > CHUNK_BYTES) {
        this.chunks.push(chunk.subarray(0, used));
        chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes));
        used = 0;
      }
      const bodyAt = used + chunk.write(request.path, used);
      const end = request.body === undefined ? bodyAt : bodyAt + chunk.write(request.body, bodyAt);
      this.where.set([this.chunks.length, used, bodyAt, end], i * 4);
      this.methods.push(request.method);
      used = end;
    }
    this.chunks.push(chunk.subarray(0, used));
    this.size = count;
  }

  next(): PooledRequest {
    if (this.cursor >= this.size && this.cycle && this.size > 0) this.cursor = 0;
    if (this.cursor < this.size) return this.read(this.cursor++);
    this.builtDuringRun += 1;
    const made = this.make();
    return { method: made.method, path: made.path, body: made.body === undefined ? undefined : Buffer.from(made.body) };
  }

  /** From the first request again: the same messages for the next server (new to it, as each app run starts empty). */
  rewind(): void {
    this.cursor = 0;
    this.builtDuringRun = 0;
  }

  release(): void {
    this.chunks = [];
    this.where = new Uint32Array(0);
    this.methods = [];
    this.size = 0;
    this.cursor = 0;
    this.builtDuringRun = 0;
  }

  private read(index: number): PooledRequest {
    const at = index * 4;
    const chunk = this.chunks[this.where[at]!]!;
    const bodyAt = this.where[at + 2]!;
    const method = this.methods[index]!;
    return {
      method,
      path: chunk.toString('utf8', this.where[at + 1], bodyAt),
      body: method === 'POST' ? chunk.subarray(bodyAt, this.where[at + 3]) : undefined,
    };
  }
}

/** POSTs a signed callback through a connection pool; resolves with the ack's status (the body read and dropped). */
export async function postCallback(pool: Pool, request: SignedRequest): Promise<number> {
  const response = await pool.request({
    method: 'POST',
    path: request.path,
    body: request.body ?? null,
    headers: { 'content-type': 'text/xml' },
  });
  await response.body.dump();
  return response.statusCode;
}
