import { type FakeRequest, type FakeResponse, type FakeServerOptions, json, readForm, sleep, startFakeServer } from './http-fake.js';

export type ChatRequest = { model: string; stream?: boolean; messages: Array<{ role: string; content: unknown }>; [key: string]: unknown };
export type ChatResponder = (request: ChatRequest) => string | Promise<string>;

export interface TranscriptionRequest {
  file: Buffer;
  fileName: string;
  model: string;
  language?: string;
}

export interface ImageRequest {
  prompt: string;
  model?: string;
  size?: string;
  response_format?: string;
}
/** `{url}` (served by this fake), `{link}` (answered as it is), `{b64}` or an API error. */
export type ImageAnswer =
  | { b64: Buffer }
  | { url: Buffer }
  | { link: string }
  | { error: { status: number; message: string; code?: string } };

export interface FakeOpenAI {
  /** The base URL to configure as open_ai_api_base (ends in /v1). */
  url: string;
  chatRequests(): ChatRequest[];
  /** The Authorization header of each chat request, in order. */
  chatAuthorizations(): string[];
  /** When each chat request arrived, failed ones included. */
  chatTimes(): number[];
  transcriptionRequests(): TranscriptionRequest[];
  speechRequests(): Array<Record<string, unknown>>;
  imageRequests(): ImageRequest[];
  setChatResponder(responder: ChatResponder): void;
  /** Delay before a chat answer starts (ms). */
  setLatency(ms: number): void;
  /** Characters per streamed chunk and the pause between chunks. */
  setStreaming(options: { chunkChars?: number; chunkDelayMs?: number }): void;
  /** The next `times` chat calls fail with this HTTP status (and error code). */
  failNext(status: number, times?: number, code?: string): void;
  /** The next `times` chat calls have their connection closed without an answer (a reset, a stale keep-alive socket). */
  dropNext(times?: number): void;
  /** The next `times` chat calls get this answer as it is (a gateway's HTML page, broken JSON, with status 200). */
  answerNextRaw(response: FakeResponse, times?: number): void;
  /** These endpoints ("/images/generations", "/audio/transcriptions"...) answer 404, as on servers that have none. */
  dropEndpoints(...paths: string[]): void;
  /** Paths without /v1 answer 404, as on most real servers (the fake takes both by default). */
  requireV1(): void;
  /** Chat calls with another key answer 401 invalid_api_key, as OpenAI does (the fake takes any key by default). */
  requireKey(key: string): void;
  /** Chat calls for another model answer 404 model_not_found (the fake serves any model by default). */
  serveModels(...models: string[]): void;
  setTranscriber(transcribe: (request: TranscriptionRequest) => string | Promise<string>): void;
  setSpeech(synthesize: (body: Record<string, unknown>) => Buffer | Promise<Buffer>): void;
  setImageResponder(answer: (request: ImageRequest) => ImageAnswer | Promise<ImageAnswer>): void;
  reset(): void;
  close(): Promise<void>;
}

/** The text of the last user message, for the default echo answer. */
export function lastUserText(request: ChatRequest): string {
  const content = request.messages.filter((message) => message.role === 'user').at(-1)?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((part: { type?: string; text?: string }) => (part.type === 'text' ? part.text : '')).join('');
  return '';
}

/** A 1×1 PNG, the default generated image. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** Silence as a 16-bit mono WAV, the default synthesized speech (decodable by any audio tool). */
export function silentWav(seconds: number, sampleRate = 16000): Buffer {
  const samples = Math.round(seconds * sampleRate);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + samples * 2, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(samples * 2, 40);
  return Buffer.concat([header, Buffer.alloc(samples * 2)]);
}

const defaults = () => ({
  chat: ((request: ChatRequest) => `echo: ${lastUserText(request)}`) as ChatResponder,
  latencyMs: 0,
  chunkChars: 4,
  chunkDelayMs: 0,
  failures: [] as Array<{ status: number; code?: string }>,
  drops: 0,
  raw: [] as FakeResponse[],
  dropped: [] as string[],
  strictV1: false,
  key: undefined as string | undefined,
  models: [] as string[],
  transcribe: (() => 'transcribed text') as (request: TranscriptionRequest) => string | Promise<string>,
  speech: ((body: Record<string, unknown>) => silentWav(Math.max(1, String(body.input ?? '').length / 10))) as (
    body: Record<string, unknown>,
  ) => Buffer | Promise<Buffer>,
  image: (() => ({ b64: TINY_PNG })) as (request: ImageRequest) => ImageAnswer | Promise<ImageAnswer>,
});

export interface FakeOpenAIOptions extends FakeServerOptions {
  /** Called as a streamed answer's first token is written (the benchmark's start of the first-frame delay). */
  onFirstToken?: (request: ChatRequest) => void;
}

/** An OpenAI-compatible server: chat (plain and streamed), transcriptions, speech, images. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  let state = defaults();
  const chats: ChatRequest[] = [];
  const authorizations: string[] = [];
  const chatTimes: number[] = [];
  const transcriptions: TranscriptionRequest[] = [];
  const speeches: Array<Record<string, unknown>> = [];
  const images: ImageRequest[] = [];
  const files = new Map<string, Buffer>();

  const apiError = (status: number, message: string, code = 'fake_error'): FakeResponse =>
    json({ error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', code } }, status);

  async function chat(request: FakeRequest): Promise<FakeResponse> {
    const body = JSON.parse(request.body.toString('utf8')) as ChatRequest;
    if (options.record !== false) {
      chats.push(body);
      authorizations.push(String(request.headers.authorization ?? ''));
      chatTimes.push(Date.now());
    }
    if (state.drops > 0) {
      state.drops -= 1;
      return { drop: true };
    }
    if (state.key !== undefined && request.headers.authorization !== `Bearer ${state.key}`)
      return apiError(401, 'Incorrect API key provided.', 'invalid_api_key');
    if (state.models.length > 0 && !state.models.includes(body.model))
      return apiError(404, `The model \`${body.model}\` does not exist or you do not have access to it.`, 'model_not_found');
    const failure = state.failures.shift();
    if (failure !== undefined) return apiError(failure.status, `fake failure ${failure.status}`, failure.code);
    const raw = state.raw.shift();
    if (raw) return raw;
    if (state.latencyMs) await sleep(state.latencyMs);
    const content = await state.chat(body);
    const base = { id: `chatcmpl-${chats.length}`, created: Math.floor(Date.now() / 1000), model: body.model };
    if (!body.stream) {
      return json({
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      });
    }
    const pieces = Array.from(content); // by code point, like a tokenizer never splits a character
    const chunks: string[] = [];
    const event = (delta: Record<string, unknown>, finish: string | null) =>
      `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    chunks.push(event({ role: 'assistant', content: '' }, null));
    for (let i = 0; i < pieces.length; i += state.chunkChars)
      chunks.push(event({ content: pieces.slice(i, i + state.chunkChars).join('') }, null));
    chunks.push(event({}, 'stop'), 'data: [DONE]\n\n');
    // Chunk 0 carries the role only; chunk 1 the first token.
    const firstToken = options.onFirstToken;
    const onChunk = firstToken
      ? (index: number) => {
          if (index === 1) firstToken(body);
        }
      : undefined;
    return { headers: { 'content-type': 'text/event-stream' }, chunks, chunkDelayMs: state.chunkDelayMs, ...(onChunk ? { onChunk } : {}) };
  }

  async function transcription(request: FakeRequest): Promise<FakeResponse> {
    const form = await readForm(request);
    const file = form.get('file');
    if (!(file instanceof Blob)) return apiError(400, 'no file');
    const entry: TranscriptionRequest = {
      file: Buffer.from(await file.arrayBuffer()),
      fileName: (file as File).name,
      model: String(form.get('model')),
      ...(form.get('language') ? { language: String(form.get('language')) } : {}),
    };
    transcriptions.push(entry);
    try {
      const text = await state.transcribe(entry);
      return form.get('response_format') === 'text' ? { headers: { 'content-type': 'text/plain' }, body: text } : json({ text });
    } catch (error) {
      return apiError(400, (error as Error).message);
    }
  }

  async function speech(request: FakeRequest): Promise<FakeResponse> {
    const body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    speeches.push(body);
    return { headers: { 'content-type': 'audio/wav' }, body: await state.speech(body) };
  }

  async function image(request: FakeRequest, baseUrl: string): Promise<FakeResponse> {
    const body = JSON.parse(request.body.toString('utf8')) as ImageRequest;
    images.push(body);
    const answer = await state.image(body);
    if ('error' in answer) return apiError(answer.error.status, answer.error.message, answer.error.code);
    if ('b64' in answer) return json({ created: 1, data: [{ b64_json: answer.b64.toString('base64') }] });
    if ('link' in answer) return json({ created: 1, data: [{ url: answer.link }] });
    const id = `img-${images.length}.png`;
    files.set(id, answer.url);
    return json({ created: 1, data: [{ url: `${baseUrl}/files/${id}` }] });
  }

  let baseUrl = '';
  const server = await startFakeServer(async (request) => {
    const path = request.path.replace(/^\/v1/, '');
    const notFound = () => apiError(404, `fake OpenAI has no ${request.method} ${request.path}`);
    if ((state.strictV1 && path === request.path && !path.startsWith('/files/')) || state.dropped.includes(path)) return notFound();
    if (request.method === 'POST' && path === '/chat/completions') return chat(request);
    if (request.method === 'POST' && path === '/audio/transcriptions') return transcription(request);
    if (request.method === 'POST' && path === '/audio/speech') return speech(request);
    if (request.method === 'POST' && path === '/images/generations') return image(request, baseUrl);
    if (request.method === 'GET' && path.startsWith('/files/')) {
      const file = files.get(path.slice('/files/'.length));
      return file ? { headers: { 'content-type': 'image/png' }, body: file } : { status: 404 };
    }
    return apiError(404, `fake OpenAI has no ${request.method} ${request.path}`);
  }, options);
  baseUrl = server.url;

  return {
    url: `${server.url}/v1`,
    chatRequests: () => chats,
    chatAuthorizations: () => authorizations,
    chatTimes: () => chatTimes,
    transcriptionRequests: () => transcriptions,
    speechRequests: () => speeches,
    imageRequests: () => images,
    setChatResponder: (responder) => {
      state.chat = responder;
    },
    setLatency: (ms) => {
      state.latencyMs = ms;
    },
    setStreaming: ({ chunkChars, chunkDelayMs }) => {
      if (chunkChars !== undefined) state.chunkChars = chunkChars;
      if (chunkDelayMs !== undefined) state.chunkDelayMs = chunkDelayMs;
    },
    failNext: (status, times = 1, code) =>
      void state.failures.push(...Array.from({ length: times }, () => ({ status, ...(code ? { code } : {}) }))),
    dropNext: (times = 1) => {
      state.drops += times;
    },
    answerNextRaw: (response, times = 1) => void state.raw.push(...Array<FakeResponse>(times).fill(response)),
    dropEndpoints: (...paths) => void state.dropped.push(...paths),
    requireV1: () => {
      state.strictV1 = true;
    },
    requireKey: (key) => {
      state.key = key;
    },
    serveModels: (...models) => {
      state.models = models;
    },
    setTranscriber: (transcribe) => {
      state.transcribe = transcribe;
    },
    setSpeech: (synthesize) => {
      state.speech = synthesize;
    },
    setImageResponder: (answer) => {
      state.image = answer;
    },
    reset() {
      state = defaults();
      chats.length = 0;
      authorizations.length = 0;
      chatTimes.length = 0;
      transcriptions.length = 0;
      speeches.length = 0;
      images.length = 0;
      files.clear();
    },
    close: () => server.close(),
  };
}
