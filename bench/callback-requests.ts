import { WeComAppClient } from '../test/fakes/wecom-client.js';
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

/**
 * Requests built before a run, so AES and SHA-1 are not the load generator's cost during it.
 * `cycle`: reuse them (for servers that do not dedupe); otherwise a run that outpaces the pool
 * gets new ones built on the spot, counted in `builtDuringRun`.
 */
export class RequestPool {
  private pool: SignedRequest[] = [];
  private cursor = 0;
  builtDuringRun = 0;

  constructor(
    private readonly make: () => SignedRequest,
    private readonly cycle: boolean,
  ) {}

  fill(count: number): void {
    this.pool = Array.from({ length: count }, () => this.make());
    this.cursor = 0;
    this.builtDuringRun = 0;
  }

  next(): SignedRequest {
    if (this.cursor >= this.pool.length && this.cycle && this.pool.length > 0) this.cursor = 0;
    if (this.cursor < this.pool.length) return this.pool[this.cursor++]!;
    this.builtDuringRun += 1;
    return this.make();
  }

  /** From the first request again: the same messages for the next server (new to it, as each app run starts empty). */
  rewind(): void {
    this.cursor = 0;
    this.builtDuringRun = 0;
  }

  release(): void {
    this.pool = [];
    this.cursor = 0;
  }
}
