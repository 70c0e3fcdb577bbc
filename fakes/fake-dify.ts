import { randomUUID } from 'node:crypto';
import { TINY_PNG } from './fake-openai.js';
import { type FakeRequest, type FakeResponse, json, readForm, sleep, startFakeServer } from './http-fake.js';

/** An app behind one API key, as Dify's console names its type (`mode`). */
export type DifyMode = 'chat' | 'agent-chat' | 'advanced-chat' | 'workflow' | 'completion';

export interface DifyChatRequest {
  inputs: Record<string, unknown>;
  query: string;
  response_mode?: string;
  user: string;
  conversation_id?: string | null;
  files?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

export interface DifyRecorded {
  path: string;
  authorization: string;
  body: Record<string, unknown>;
}

export interface DifyUpload {
  id: string;
  user: string;
  name: string;
  mimeType: string;
  bytes: Buffer;
}

/** A Dify error as its API writes it: `{code, message, status}` with the same HTTP status. */
export interface DifyError {
  status: number;
  code: string;
  message?: string;
}

/** What the next call gets instead of an answer. */
export type DifyFault =
  | { error: DifyError }
  /** 200 and some deltas, then an `error` event (Dify's failures once the stream began). */
  | { streamError: DifyError; afterChunks: number }
  /** 200 and some deltas, then the connection closes without `message_end`. */
  | { cut: number }
  /** A proxy's answer (e.g. 502 with an HTML page). */
  | { raw: FakeResponse }
  /** No answer for this long (past the client's timeout). */
  | { silenceMs: number }
  /** A workflow run that ends with status "failed" and this error (HTTP 200, as Dify streams it). */
  | { workflowFailed: string };

export interface FakeDify {
  /** The base URL to configure as dify_api_base (ends in /v1). */
  url: string;
  requests(path?: string): DifyRecorded[];
  uploads(): DifyUpload[];
  /** The answer to a chat query (default: "dify: <query>"); for workflows, to inputs.query. */
  setAnswer(answer: (query: string, request: Record<string, unknown>) => string): void;
  /** Characters per SSE delta and the pause between events (a slow stream). */
  setStreaming(options: { chunkChars?: number; chunkDelayMs?: number; pingEveryChunks?: number }): void;
  failNext(fault: DifyFault, times?: number): void;
  /** Forgets a conversation, as deleting it in the console does (its id then answers 404). */
  deleteConversation(id: string): void;
  conversations(): Array<{ id: string; user: string; key: string }>;
  close(): Promise<void>;
}

export interface FakeDifyOptions {
  /** API key → app; default one chat app under "app-chat-key". */
  apps?: Record<
    string,
    {
      mode: DifyMode;
      outputKey?: string;
      agentThoughts?: string[];
      images?: boolean;
      /** Agent apps: a tool's images (`message_file`, URLs relative to the host); 'gone' ones answer 404. */
      toolImages?: Array<'ok' | 'gone'>;
    }
  >;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHAT_MODES: DifyMode[] = ['chat', 'agent-chat', 'advanced-chat'];

const difyError = (status: number, code: string, message: string): FakeResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...(status === 401 ? { 'www-authenticate': 'Bearer realm="api"' } : {}) },
  body: JSON.stringify({ code, message, status }),
});

const DEFAULT_MESSAGES: Record<string, string> = {
  too_many_requests: 'Too many requests. Please try again later. The current maximum concurrent requests allowed is 1.',
  rate_limit_error: 'Rate Limit Error',
  app_unavailable: 'App unavailable, please check your app configurations.',
  provider_not_initialize:
    'No valid model provider credentials found. Please go to Settings -> Model Provider to complete your provider credentials.',
  provider_quota_exceeded: 'Your quota for Dify Hosted Model Provider has been exhausted.',
  completion_request_error: '[openai] Error: Request timed out.',
  internal_server_error: 'Internal Server Error, please contact support.',
};

/** A Dify Service API on 127.0.0.1 (docs: /work/shared/dify-api.md §9): chat and workflow apps, SSE, errors, uploads. */
export async function startFakeDify(options: FakeDifyOptions = {}): Promise<FakeDify> {
  const apps = options.apps ?? { 'app-chat-key': { mode: 'chat' } };
  const recorded: DifyRecorded[] = [];
  const uploaded: DifyUpload[] = [];
  const conversations = new Map<string, { user: string; key: string }>();
  const toolFiles = new Set<string>();
  let answer: (query: string, request: Record<string, unknown>) => string = (query) => `dify: ${query}`;
  let streaming = { chunkChars: 4, chunkDelayMs: 0, pingEveryChunks: 0 };
  const faults: DifyFault[] = [];

  const sse = (event: Record<string, unknown>) => `data: ${JSON.stringify(event)}\n\n`;

  async function streamOf(events: string[], fault: DifyFault | undefined): Promise<FakeResponse> {
    const chunks = [...events];
    if (fault && 'streamError' in fault) {
      const { status, code, message } = fault.streamError;
      chunks.splice(
        fault.afterChunks,
        chunks.length,
        sse({ event: 'error', status, code, message: message ?? DEFAULT_MESSAGES[code] ?? code }),
      );
    }
    const cut = fault && 'cut' in fault;
    if (cut) chunks.splice(fault.cut);
    if (streaming.pingEveryChunks > 0)
      for (let i = chunks.length - streaming.pingEveryChunks; i > 0; i -= streaming.pingEveryChunks) chunks.splice(i, 0, 'event: ping\n\n');
    return {
      headers: { 'content-type': 'text/event-stream; charset=utf-8' },
      chunks,
      chunkDelayMs: streaming.chunkDelayMs,
      ...(cut ? { cut: true } : {}),
    };
  }

  const deltas = (text: string): string[] => {
    const pieces = Array.from(text);
    const out: string[] = [];
    for (let i = 0; i < pieces.length; i += streaming.chunkChars) out.push(pieces.slice(i, i + streaming.chunkChars).join(''));
    return out;
  };

  async function chatMessages(request: Record<string, unknown>, key: string, mode: DifyMode, fault?: DifyFault): Promise<FakeResponse> {
    const body = request as DifyChatRequest;
    if (typeof body.inputs !== 'object' || body.inputs === null)
      return difyError(400, 'invalid_param', 'inputs is required in request body');
    if (typeof body.query !== 'string') return difyError(400, 'invalid_param', 'query is required');
    if (!body.user) return difyError(400, 'invalid_param', 'Arg user must be provided.');
    const stream = body.response_mode === 'streaming';
    if (mode === 'agent-chat' && !stream) return difyError(400, 'invalid_param', 'Agent Chat App does not support blocking mode');
    let conversationId = body.conversation_id ?? '';
    if (conversationId !== '') {
      if (!UUID.test(conversationId)) return difyError(400, 'invalid_param', 'conversation_id must be a valid UUID');
      const known = conversations.get(conversationId);
      if (!known || known.key !== key || known.user !== body.user) return difyError(404, 'not_found', 'Conversation Not Exists.');
    } else {
      conversationId = randomUUID();
      conversations.set(conversationId, { user: body.user, key });
    }
    for (const file of body.files ?? []) {
      if (file.transfer_method === 'local_file' && uploaded.find((each) => each.id === file.upload_file_id)?.user !== body.user)
        return difyError(400, 'invalid_param', 'Invalid upload file id');
    }
    const text = answer(body.query, request);
    const messageId = randomUUID();
    const taskId = randomUUID();
    const head = { conversation_id: conversationId, message_id: messageId, created_at: Math.floor(Date.now() / 1000), task_id: taskId };
    if (!stream)
      return json({
        event: 'message',
        task_id: taskId,
        id: messageId,
        message_id: messageId,
        conversation_id: conversationId,
        mode,
        answer: text,
        metadata: {
          usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20, total_price: '0.0001', currency: 'USD', latency: 0.1 },
        },
        created_at: head.created_at,
      });
    const events: string[] = [];
    const messageEvent = mode === 'agent-chat' ? 'agent_message' : 'message';
    if (mode === 'agent-chat')
      for (const [index, thought] of (apps[key]?.agentThoughts ?? ['']).entries())
        events.push(sse({ event: 'agent_thought', ...head, id: randomUUID(), position: index + 1, thought, observation: '', tool: '' }));
    for (const image of apps[key]?.toolImages ?? []) {
      const id = randomUUID();
      if (image === 'ok') toolFiles.add(id);
      const url = `/files/tools/${id}.png?timestamp=${head.created_at}&nonce=n&sign=s`;
      events.push(sse({ event: 'message_file', ...head, id, type: 'image', belongs_to: 'assistant', url }));
    }
    if (mode === 'advanced-chat') events.push(sse({ event: 'workflow_started', ...head, workflow_run_id: taskId, data: { id: taskId } }));
    for (const delta of deltas(text)) events.push(sse({ event: messageEvent, ...head, id: messageId, answer: delta }));
    if (mode === 'advanced-chat') {
      events.push(sse({ event: 'node_retry', ...head, data: {} }));
      events.push(sse({ event: 'workflow_finished', ...head, workflow_run_id: taskId, data: { status: 'succeeded', outputs: {} } }));
    }
    events.push(sse({ event: 'message_end', ...head, id: messageId, metadata: { usage: { total_tokens: 20 } }, files: null }));
    return streamOf(events, fault);
  }

  async function workflowRun(request: Record<string, unknown>, key: string, fault?: DifyFault): Promise<FakeResponse> {
    const inputs = request.inputs as Record<string, unknown> | undefined;
    if (typeof inputs !== 'object' || inputs === null) return difyError(400, 'invalid_param', 'inputs is required in request body');
    if (!request.user) return difyError(400, 'invalid_param', 'Arg user must be provided.');
    const outputKey = apps[key]?.outputKey ?? 'text';
    const text = answer(String(inputs.query ?? ''), request);
    const runId = randomUUID();
    const taskId = randomUUID();
    const failed = fault && 'workflowFailed' in fault ? fault.workflowFailed : undefined;
    const data = failed
      ? { id: runId, workflow_id: 'wf-1', status: 'failed', outputs: {}, error: failed, elapsed_time: 0.1 }
      : { id: runId, workflow_id: 'wf-1', status: 'succeeded', outputs: { [outputKey]: text }, error: null, elapsed_time: 0.1 };
    if (request.response_mode !== 'streaming') return json({ task_id: taskId, workflow_run_id: runId, data });
    const head = { workflow_run_id: runId, task_id: taskId };
    const events = [sse({ event: 'workflow_started', ...head, data: { id: runId, workflow_id: 'wf-1' } })];
    for (const delta of deltas(text))
      events.push(sse({ event: 'text_chunk', ...head, data: { text: delta, from_variable_selector: ['llm', 'text'] } }));
    events.push(sse({ event: 'workflow_finished', ...head, data }));
    return streamOf(events, fault);
  }

  async function upload(request: FakeRequest): Promise<FakeResponse> {
    const form = await readForm(request);
    const files = form.getAll('file');
    const user = form.get('user');
    if (files.length === 0 || !(files[0] instanceof Blob)) return difyError(400, 'no_file_uploaded', 'Please upload your file.');
    if (files.length > 1) return difyError(400, 'too_many_files', 'Only one file is allowed.');
    if (!user) return difyError(400, 'invalid_param', 'Arg user must be provided.');
    const file = files[0] as File;
    if (!file.type.startsWith('image/')) return difyError(415, 'unsupported_file_type', 'File type not allowed.');
    const entry = {
      id: randomUUID(),
      user: String(user),
      name: file.name,
      mimeType: file.type,
      bytes: Buffer.from(await file.arrayBuffer()),
    };
    uploaded.push(entry);
    const extension = file.name.split('.').pop() ?? '';
    return json(
      { id: entry.id, name: file.name, size: entry.bytes.length, extension, mime_type: file.type, created_by: randomUUID(), created_at: 0 },
      201,
    );
  }

  const server = await startFakeServer(async (request) => {
    // A tool's file: on the host, outside /v1, signed instead of authorized.
    const toolFile = /^\/files\/tools\/([^/.]+)\.png$/.exec(request.path)?.[1];
    if (toolFile !== undefined && request.method === 'GET')
      return toolFiles.has(toolFile)
        ? { status: 200, headers: { 'content-type': 'image/png' }, body: TINY_PNG }
        : difyError(404, 'file_not_found', 'File not found');
    const path = request.path.replace(/^\/v1/, '');
    const authorization = String(request.headers.authorization ?? '');
    const isJson = String(request.headers['content-type'] ?? '').includes('application/json');
    const body = isJson && request.body.length ? (JSON.parse(request.body.toString('utf8')) as Record<string, unknown>) : {};
    recorded.push({ path, authorization, body });
    if (!authorization.includes(' '))
      return difyError(401, 'unauthorized', "Authorization header must be provided and start with 'Bearer'");
    const [scheme, key = ''] = authorization.split(' ');
    if (scheme?.toLowerCase() !== 'bearer') return difyError(401, 'unauthorized', "Authorization scheme must be 'Bearer'");
    const app = apps[key];
    if (!app) return difyError(401, 'unauthorized', 'Access token is invalid');
    if (path === '/parameters' && request.method === 'GET') {
      const enabled = app.images !== false;
      return json({
        opening_statement: '',
        user_input_form: [],
        file_upload: { image: { enabled, number_limits: 3, transfer_methods: ['local_file', 'remote_url'] } },
      });
    }
    const deleted = /^\/conversations\/([^/]+)$/.exec(path)?.[1];
    if (deleted !== undefined && request.method === 'DELETE') {
      const known = conversations.get(deleted);
      if (!known || known.key !== key || known.user !== body.user) return difyError(404, 'not_found', 'Conversation Not Exists.');
      conversations.delete(deleted);
      return { status: 204, headers: {}, body: '' };
    }
    if (request.method !== 'POST') return difyError(405, 'method_not_allowed', 'The method is not allowed for the requested URL.');
    if (path === '/files/upload') return upload(request);
    if (/^\/(chat-messages|workflows\/tasks)\/[^/]+\/stop$/.test(path)) return json({ result: 'success' });
    if (path !== '/chat-messages' && path !== '/workflows/run')
      return difyError(404, 'not_found', 'The requested URL was not found on the server.');
    const fault = faults.shift();
    if (fault && 'error' in fault) {
      const { status, code, message } = fault.error;
      return difyError(status, code, message ?? DEFAULT_MESSAGES[code] ?? code);
    }
    if (fault && 'raw' in fault) return fault.raw;
    if (fault && 'silenceMs' in fault) await sleep(fault.silenceMs);
    if (path === '/chat-messages') {
      if (!CHAT_MODES.includes(app.mode))
        return difyError(400, 'not_chat_app', 'Please check if your Chat app mode matches the right API route.');
      return chatMessages(body, key, app.mode, fault);
    }
    if (app.mode !== 'workflow') return difyError(400, 'not_workflow_app', 'Please check if your app mode matches the right API route.');
    return workflowRun(body, key, fault);
  });

  return {
    url: `${server.url}/v1`,
    requests: (path) => recorded.filter((entry) => path === undefined || entry.path === path),
    uploads: () => [...uploaded],
    setAnswer(responder) {
      answer = responder;
    },
    setStreaming(options) {
      streaming = { ...streaming, ...options };
    },
    failNext(fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    deleteConversation(id) {
      conversations.delete(id);
    },
    conversations: () => [...conversations].map(([id, conversation]) => ({ id, ...conversation })),
    close: () => server.close(),
  };
}
