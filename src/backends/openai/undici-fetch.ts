import { type Dispatcher, request } from 'undici';
import { encodedBody } from '../../encoded-body.js';

type Fetch = typeof globalThis.fetch;

/**
 * The OpenAI SDK's fetch, on undici's `request`. A WHATWG fetch wraps each call in web streams,
 * an abort-signal chain and a Response: 270 µs of CPU per chat completion against 80 through
 * `request`, and an eighth of the GC time (20,000 calls to a local server). The SDK calls it with
 * a URL string and a JSON string or form data, and reads the status, the headers and the body
 * (json, text, arrayBuffer, or while streaming an async iterable of bytes): what `UndiciResponse`
 * offers.
 */
export function createUndiciFetch(dispatcher: Dispatcher): Fetch {
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (!(typeof input === 'string' || input instanceof URL)) throw new TypeError('createUndiciFetch: call it with a URL, not a Request');
    const url = String(input);
    const { body, headers } =
      typeof init?.body === 'string' || init?.body == null
        ? { body: init?.body ?? null, headers: init?.headers }
        : await encoded(init.body, init.headers);
    const answer = await request(url, {
      method: (init?.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: headers as Dispatcher.RequestOptions['headers'],
      body,
      signal: init?.signal ?? null,
      dispatcher,
    });
    // The SDK takes it as a Response; it uses only what UndiciResponse has.
    return new UndiciResponse(url, answer) as unknown as Response;
  }) as Fetch;
}

/** A body that is not a string as bytes, with its content type unless the SDK set one. */
async function encoded(
  body: NonNullable<RequestInit['body']>,
  headersInit: RequestInit['headers'],
): Promise<{ body: Buffer; headers: Headers }> {
  const { bytes, contentType } = await encodedBody(body);
  const headers = new Headers(headersInit);
  if (contentType && !headers.has('content-type')) headers.set('content-type', contentType);
  return { body: bytes, headers };
}

/** The part of a fetch Response the OpenAI SDK reads, over undici's answer to `request`. */
class UndiciResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers = new Headers();
  readonly body: Dispatcher.ResponseData['body'];

  constructor(
    readonly url: string,
    answer: Dispatcher.ResponseData,
  ) {
    this.status = answer.statusCode;
    this.statusText = answer.statusText;
    this.ok = answer.statusCode >= 200 && answer.statusCode < 300;
    this.body = answer.body;
    for (const [name, value] of Object.entries(answer.headers)) {
      if (Array.isArray(value)) for (const each of value) this.headers.append(name, each);
      else if (value !== undefined) this.headers.set(name, value);
    }
  }

  get bodyUsed(): boolean {
    return this.body.bodyUsed;
  }

  json(): Promise<unknown> {
    return this.body.json();
  }

  text(): Promise<string> {
    return this.body.text();
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.body.arrayBuffer();
  }

  blob(): Promise<Blob> {
    return this.body.blob() as Promise<Blob>;
  }
}
