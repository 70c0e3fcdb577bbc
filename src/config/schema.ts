import type convict from 'convict';
import { SYNTHESIZER_NAMES, TRANSCRIBER_NAMES } from '../media/engine-names.js';
import { type CowProviderKeys, cowProviderSchema } from './cow-provider-schema.js';

/**
 * Every core key, with its type, default and doc. Names follow chatgpt-on-wechat (CoW) so its users
 * feel at home; where our default differs from CoW's the doc says so. Channel sections (e.g.
 * `weworktop`) are declared by the channel module and added when that channel is selected.
 */
export interface CoreConfig extends CowProviderKeys {
  channel_type: string;
  log_level: 'debug' | 'info' | 'warn' | 'error' | 'silent';

  model: string;
  open_ai_api_key: string;
  open_ai_api_base: string;
  proxy: string;
  temperature: number;
  request_timeout: number;
  max_retries: number;
  character_desc: string;
  conversation_max_tokens: number;
  max_single_msg_tokens: number;
  expires_in_seconds: number;
  max_sessions: number;

  single_chat_prefix: string[];
  single_chat_reply_prefix: string;
  single_chat_reply_suffix: string;
  group_chat_prefix: string[];
  group_chat_keyword: string[];
  group_at_off: boolean;
  group_name_white_list: string[];
  group_name_keyword_white_list: string[];
  group_chat_reply_prefix: string;
  group_chat_reply_suffix: string;
  group_chat_in_one_session: string[];
  no_need_at: boolean;
  nick_name_black_list: string[];
  image_create_prefix: string[];
  clear_memory_commands: string[];

  speech_recognition: boolean;
  group_speech_recognition: boolean;
  voice_reply_voice: boolean;
  always_reply_voice: boolean;
  voice_to_text: string;
  voice_to_text_model: string;
  text_to_voice: string;
  text_to_voice_model: string;
  tts_voice_id: string;
  azure_voice_api_key: string;
  azure_voice_region: string;
  speech_recognition_language: string;
  voice_echo_transcript: boolean;
  ffmpeg_path: string;
  text_to_image: string;
  image_size: string;
  image_understanding: boolean;

  port: number;
  host: string;
  callback_headers_timeout: number;
  callback_request_timeout: number;

  concurrency: number;
  max_queue: number;
  data_dir: string;
  inbox_store: 'sqlite' | 'memory';
  session_store: 'sqlite' | 'memory';
  store: 'sqlite' | 'redis';
  redis_url: string;
  redis_prefix: string;
  lease_seconds: number;
  max_attempts: number;
  retry_delay_ms: number;
  shutdown_timeout: number;
  rate_limit_per_minute: number;
  plugins: string[];
  plugin_config: Record<string, unknown>;
  runtime_tuning: boolean;

  public_url: string;
  metrics: boolean;
  metrics_token: string;
  retention_days: number;
  api_token: string;
  forward: { url: string; secret: string; include: string[]; max_attempts: number };
}

/** The validated config: core keys plus the selected channel's section (e.g. `weworktop`). */
export type AppConfig = CoreConfig & Record<string, unknown>;

const list = (doc: string, defaultValue: string[], env: string) => ({ doc, format: 'string-list', default: defaultValue, env }) as const;

export const coreSchema: convict.Schema<CoreConfig> = {
  channel_type: {
    doc: 'Which channel runs: "terminal" (type in the console) or "weworktop" (WeCom self-built app + AI bot).',
    format: 'text',
    default: 'terminal',
    env: 'CHANNEL_TYPE',
  },
  log_level: {
    doc: 'Log verbosity.',
    format: ['debug', 'info', 'warn', 'error', 'silent'],
    default: 'info',
    env: 'LOG_LEVEL',
  },

  model: { doc: 'Chat model name sent to the OpenAI-compatible API.', format: 'text', default: 'gpt-4o-mini', env: 'MODEL' },
  open_ai_api_key: {
    doc: 'API key for the OpenAI-compatible server. Empty: the bot answers that no LLM is configured.',
    format: 'text',
    default: '',
    sensitive: true,
    env: 'OPEN_AI_API_KEY',
  },
  open_ai_api_base: {
    doc: 'Base URL of any OpenAI-compatible API (OpenAI, Azure-compatible gateways, Ollama, vLLM...).',
    format: 'http-url-or-empty',
    default: 'https://api.openai.com/v1',
    env: 'OPEN_AI_API_BASE',
  },
  proxy: {
    doc: 'HTTP proxy for LLM calls, e.g. "http://127.0.0.1:7890". Empty: direct.',
    format: 'http-url-or-empty',
    default: '',
    env: 'PROXY',
  },
  temperature: { doc: 'Sampling temperature.', format: 'finite-number', default: 0.7, env: 'TEMPERATURE' },
  request_timeout: { doc: 'Seconds to wait for one LLM call.', format: 'positive-int', default: 120, env: 'REQUEST_TIMEOUT' },
  max_retries: {
    doc: 'Quick retries of an LLM call whose connection dropped (reset, closed keep-alive); 429, 5xx and timeouts are retried per message (max_attempts).',
    format: 'non-negative-int',
    default: 1,
    env: 'MAX_RETRIES',
  },
  character_desc: {
    doc: 'System prompt of every conversation.',
    format: 'text',
    default: '你是一个乐于助人的 AI 助手，回答准确、简洁。',
    env: 'CHARACTER_DESC',
  },
  conversation_max_tokens: {
    doc: 'Token budget of the history sent to the LLM (system prompt + turns + new message); oldest turns are dropped first.',
    format: 'positive-int',
    default: 2500,
    env: 'CONVERSATION_MAX_TOKENS',
  },
  max_single_msg_tokens: {
    doc: 'A single message longer than this many tokens is refused with a clear reply (not sent to the LLM).',
    format: 'positive-int',
    default: 2000,
    env: 'MAX_SINGLE_MSG_TOKENS',
  },
  expires_in_seconds: {
    doc: 'Idle seconds after which a conversation is forgotten. 0: never (CoW behaviour when unset).',
    format: 'non-negative-int',
    default: 0,
    env: 'EXPIRES_IN_SECONDS',
  },
  max_sessions: {
    doc: 'Most conversations kept in memory; the least recently used is forgotten first.',
    format: 'positive-int',
    default: 10000,
    env: 'MAX_SESSIONS',
  },

  single_chat_prefix: list(
    'Private-chat trigger prefixes, first match wins and is stripped. [""] = every message; [] = none.',
    [''],
    'SINGLE_CHAT_PREFIX',
  ),
  single_chat_reply_prefix: { doc: 'Prepended to private text replies.', format: 'text', default: '', env: 'SINGLE_CHAT_REPLY_PREFIX' },
  single_chat_reply_suffix: { doc: 'Appended to private text replies.', format: 'text', default: '', env: 'SINGLE_CHAT_REPLY_SUFFIX' },
  group_chat_prefix: list('Group trigger prefixes (stripped).', ['@bot'], 'GROUP_CHAT_PREFIX'),
  group_chat_keyword: list('Group trigger keywords anywhere in the text (not stripped).', [], 'GROUP_CHAT_KEYWORD'),
  group_at_off: { doc: 'Do not trigger on an @-mention of the bot in groups.', format: 'flag', default: false, env: 'GROUP_AT_OFF' },
  group_name_white_list: list('Groups the bot answers in: exact group names or chat ids, or "ALL_GROUP".', [], 'GROUP_NAME_WHITE_LIST'),
  group_name_keyword_white_list: list(
    'Groups whose name (or chat id) contains one of these are answered too.',
    [],
    'GROUP_NAME_KEYWORD_WHITE_LIST',
  ),
  group_chat_reply_prefix: {
    doc: 'Prepended to group text replies (after "@name").',
    format: 'text',
    default: '',
    env: 'GROUP_CHAT_REPLY_PREFIX',
  },
  group_chat_reply_suffix: { doc: 'Appended to group text replies.', format: 'text', default: '', env: 'GROUP_CHAT_REPLY_SUFFIX' },
  group_chat_in_one_session: list(
    'Groups (names or chat ids, or "ALL_GROUP") whose members share one conversation.',
    [],
    'GROUP_CHAT_IN_ONE_SESSION',
  ),
  no_need_at: { doc: 'Do not start group replies with "@name".', format: 'flag', default: false, env: 'NO_NEED_AT' },
  nick_name_black_list: list('Sender ids or names the bot never answers.', [], 'NICK_NAME_BLACK_LIST'),
  image_create_prefix: list('After the trigger prefix, these start an image request (stripped).', ['画', 'draw'], 'IMAGE_CREATE_PREFIX'),
  clear_memory_commands: list('Messages that clear the conversation.', ['#清除记忆', '#reset'], 'CLEAR_MEMORY_COMMANDS'),

  speech_recognition: { doc: 'Transcribe voice notes in private chats.', format: 'flag', default: true, env: 'SPEECH_RECOGNITION' },
  group_speech_recognition: {
    doc: 'Transcribe voice notes in groups (the transcript must still pass the group trigger).',
    format: 'flag',
    default: false,
    env: 'GROUP_SPEECH_RECOGNITION',
  },
  voice_reply_voice: { doc: 'Answer voice with voice.', format: 'flag', default: false, env: 'VOICE_REPLY_VOICE' },
  always_reply_voice: { doc: 'Answer every message with voice.', format: 'flag', default: false, env: 'ALWAYS_REPLY_VOICE' },
  voice_to_text: { doc: 'Speech recognition engine.', format: [...TRANSCRIBER_NAMES], default: 'openai', env: 'VOICE_TO_TEXT' },
  voice_to_text_model: {
    doc: 'Transcription model for voice_to_text "openai".',
    format: 'text',
    default: 'whisper-1',
    env: 'VOICE_TO_TEXT_MODEL',
  },
  text_to_voice: {
    doc: 'Text-to-speech engine for voice replies.',
    format: [...SYNTHESIZER_NAMES],
    default: 'openai',
    env: 'TEXT_TO_VOICE',
  },
  text_to_voice_model: { doc: 'TTS model for text_to_voice "openai".', format: 'text', default: 'tts-1', env: 'TEXT_TO_VOICE_MODEL' },
  tts_voice_id: {
    doc: 'Voice name: OpenAI voice (alloy...) or Azure voice (zh-CN-XiaoxiaoNeural...).',
    format: 'text',
    default: 'alloy',
    env: 'TTS_VOICE_ID',
  },
  azure_voice_api_key: { doc: 'Azure Speech key.', format: 'text', default: '', sensitive: true, env: 'AZURE_VOICE_API_KEY' },
  azure_voice_region: { doc: 'Azure Speech region, e.g. "eastasia".', format: 'text', default: '', env: 'AZURE_VOICE_REGION' },
  speech_recognition_language: {
    doc: 'Language of voice notes (Azure, and a hint for OpenAI).',
    format: 'text',
    default: 'zh-CN',
    env: 'SPEECH_RECOGNITION_LANGUAGE',
  },
  voice_echo_transcript: {
    doc: 'Start the answer to a voice note with what was heard.',
    format: 'flag',
    default: true,
    env: 'VOICE_ECHO_TRANSCRIPT',
  },
  ffmpeg_path: {
    doc: 'ffmpeg binary to use; empty: the one shipped by @ffmpeg-installer.',
    format: 'text',
    default: '',
    env: 'FFMPEG_PATH',
  },
  text_to_image: { doc: 'Image model for image_create_prefix requests.', format: 'text', default: 'dall-e-3', env: 'TEXT_TO_IMAGE' },
  image_size: { doc: 'Size of generated images.', format: 'text', default: '1024x1024', env: 'IMAGE_SIZE' },
  image_understanding: {
    doc: 'Let the model see images users send (vision models only).',
    format: 'flag',
    default: false,
    env: 'IMAGE_UNDERSTANDING',
  },

  port: {
    doc: 'Port of the HTTP server (callbacks, /healthz, /readyz); weworktop.port works too.',
    format: 'tcp-port',
    default: 5001,
    env: 'PORT',
  },
  host: { doc: 'Interface the HTTP server listens on; weworktop.host works too.', format: 'text', default: '0.0.0.0', env: 'HOST' },
  callback_headers_timeout: {
    doc: "Seconds a client may take to send a request's headers; slower connections are closed (WeCom itself waits 5 s for an answer).",
    format: 'positive-int',
    default: 5,
    env: 'CALLBACK_HEADERS_TIMEOUT',
  },
  callback_request_timeout: {
    doc: 'Seconds a client may take to send a whole request (headers and body); at least callback_headers_timeout.',
    format: 'positive-int',
    default: 10,
    env: 'CALLBACK_REQUEST_TIMEOUT',
  },

  concurrency: {
    doc: 'Messages processed in parallel (different users; one user is always handled in order).',
    format: 'positive-int',
    default: 8,
    env: 'CONCURRENCY',
  },
  max_queue: {
    doc: 'Messages waiting at most (past the answer worker\'s fill they wait in the inbox, not in memory); past it users get a "busy, try again" reply.',
    format: 'positive-int',
    default: 1000,
    env: 'MAX_QUEUE',
  },
  data_dir: {
    doc: 'Folder of the embedded database (weworktop.db), relative to the working directory.',
    format: 'text',
    default: './data',
    env: 'DATA_DIR',
  },
  inbox_store: {
    doc: '"sqlite": every acknowledged message is on disk until answered and replayed after a crash or restart. "memory": lost on restart.',
    format: ['sqlite', 'memory'],
    default: 'sqlite',
    env: 'INBOX_STORE',
  },
  session_store: {
    doc: '"sqlite": conversations survive restarts. "memory": forgotten on restart.',
    format: ['sqlite', 'memory'],
    default: 'sqlite',
    env: 'SESSION_STORE',
  },
  store: {
    doc: '"sqlite": one process, the embedded files (inbox_store, session_store). "redis": several processes share redis_url: pending messages, retry dedupe, conversations, rate limits (docs/scaling.md).',
    format: ['sqlite', 'redis'],
    default: 'sqlite',
    env: 'STORE',
  },
  redis_url: {
    doc: 'With store "redis": the server, e.g. "redis://:password@10.0.0.5:6379/0" (the password is never logged).',
    format: 'text',
    default: '',
    env: 'REDIS_URL',
  },
  redis_prefix: {
    doc: 'With store "redis": every key starts with this, so several deployments can share one Redis.',
    format: 'text',
    default: 'weworktop:',
    env: 'REDIS_PREFIX',
  },
  lease_seconds: {
    doc: 'With store "redis": how long a conversation stays claimed by an instance that stopped renewing it (died); then another takes its messages over.',
    format: 'positive-int',
    default: 30,
    env: 'LEASE_SECONDS',
  },
  max_attempts: {
    doc: 'Tries per message while the LLM or WeCom fails transiently; then the user gets one apology.',
    format: 'positive-int',
    default: 5,
    env: 'MAX_ATTEMPTS',
  },
  retry_delay_ms: {
    doc: 'Wait before the second try of a failed message; doubles per try (at most 5 minutes).',
    format: 'positive-int',
    default: 2000,
    env: 'RETRY_DELAY_MS',
  },
  shutdown_timeout: {
    doc: 'Seconds SIGTERM/SIGINT waits for messages being answered; the rest is replayed on the next start.',
    format: 'non-negative-int',
    default: 20,
    env: 'SHUTDOWN_TIMEOUT',
  },
  rate_limit_per_minute: {
    doc: 'Messages per user per minute; past it the user is told to slow down. 0: no limit.',
    format: 'non-negative-int',
    default: 20,
    env: 'RATE_LIMIT_PER_MINUTE',
  },
  plugins: list('Plugins to enable, by folder name under plugins/ (e.g. ["banwords", "keyword"]).', [], 'PLUGINS'),
  runtime_tuning: {
    doc: "V8 heap sizing and thread priorities that keep acks fast and memory low under load (docs/performance.md); false: Node's defaults.",
    format: 'flag',
    default: true,
    env: 'RUNTIME_TUNING',
  },
  plugin_config: { doc: 'Per-plugin settings, keyed by plugin name.', format: 'object', default: {}, env: 'PLUGIN_CONFIG' },
  public_url: {
    doc: 'The server as the platform reaches it, e.g. "https://bot.example.com" (no path): doctor checks the callback URLs from outside the process, and the start-up line names them. Empty: not checked.',
    format: 'http-url-or-empty',
    default: '',
    env: 'PUBLIC_URL',
  },
  metrics: {
    doc: 'Serve Prometheus metrics at GET /metrics (docs/production.md lists them).',
    format: 'flag',
    default: false,
    env: 'METRICS',
  },
  metrics_token: {
    doc: 'With metrics: /metrics answers only requests with "Authorization: Bearer <this>" (the callback port is usually public). Empty: no check.',
    format: 'text',
    default: '',
    sensitive: true,
    env: 'METRICS_TOKEN',
  },
  api_token: {
    doc: 'The push API (POST /api/messages, docs/push-and-bridge.md): on when set, for requests with "Authorization: Bearer <this>". Empty: off.',
    format: 'text',
    default: '',
    sensitive: true,
    env: 'API_TOKEN',
  },
  forward: {
    url: {
      doc: 'The bridge (docs/push-and-bridge.md): every received message is POSTed here as JSON, signed with forward.secret. Empty: off.',
      format: 'http-url-or-empty',
      default: '',
      env: 'FORWARD_URL',
    },
    secret: {
      doc: 'Key of the HMAC-SHA256 in X-Weworktop-Signature, so the receiver knows the POST is ours.',
      format: 'text',
      default: '',
      sensitive: true,
      env: 'FORWARD_SECRET',
    },
    include: list(
      'What is forwarded: "message" (what users write or send), "event" (enter_agent, subscribe...).',
      ['message', 'event'],
      'FORWARD_INCLUDE',
    ),
    max_attempts: {
      doc: 'Tries of one POST while the receiver fails or is down (backoff from retry_delay_ms, doubling, at most 5 minutes), then it is given up and logged.',
      format: 'positive-int',
      default: 20,
      env: 'FORWARD_MAX_ATTEMPTS',
    },
  },
  retention_days: {
    doc: 'Conversations and message records older than this many days are deleted, once a day. 0: kept (conversations until expires_in_seconds).',
    format: 'non-negative-int',
    default: 0,
    env: 'RETENTION_DAYS',
  },
  ...cowProviderSchema,
};
