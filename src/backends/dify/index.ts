import type convict from 'convict';
import { safeUrl } from '../../config/cow-providers.js';
import { FormatError } from '../../config/formats.js';
import type { BackendConfig, BackendDeps } from '../backend-module.js';
import type { ChatBot } from '../chat-bot.js';
import { DIFY_APP_TYPES, type DifyAppType, type DifyConfig } from './dify-config.js';

function appType(value: unknown): void {
  if (!DIFY_APP_TYPES.includes(value as DifyAppType))
    throw new FormatError(`one of ${DIFY_APP_TYPES.map((name) => `"${name}"`).join(', ')} (the Dify app's type)`, value);
}

function apiKey(value: unknown): void {
  if (typeof value !== 'string' || value === '')
    throw new FormatError('your Dify app\'s API key (required when bot_type is "dify")', value, true);
}

function apiBase(value: unknown): void {
  if (typeof value !== 'string' || !/^https?:\/\/[^\s]+$/.test(value))
    throw new FormatError('an http(s):// URL ending in /v1, e.g. "https://api.dify.ai/v1"', value);
}

/** The keys of dify-on-wechat (dify_api_base, dify_api_key, dify_app_type) under the same names. */
export const configSchema: convict.Schema<DifyConfig> = {
  dify_api_base: {
    doc: 'The Dify Service API: https://api.dify.ai/v1, or http(s)://<your host>/v1 for a self-hosted Dify.',
    format: apiBase,
    default: 'https://api.dify.ai/v1',
    env: 'DIFY_API_BASE',
  },
  dify_api_key: {
    doc: "The app's API key (Dify → your app → API Access → API Key, app-...): one key is one app.",
    format: apiKey,
    default: '',
    sensitive: true,
    env: 'DIFY_API_KEY',
  },
  dify_app_type: {
    doc: '"chat" (chatbot, agent or chatflow: POST /chat-messages, Dify keeps the conversation) or "workflow" (POST /workflows/run). dify-on-wechat\'s "chatbot", "agent", "chatflow" mean "chat".',
    format: appType,
    default: 'chat',
    env: 'DIFY_APP_TYPE',
  },
  dify_workflow_input: {
    doc: "Workflow apps: the Start node's variable that gets the user's question.",
    format: 'text',
    default: 'query',
    env: 'DIFY_WORKFLOW_INPUT',
  },
  dify_workflow_output: {
    doc: 'Workflow apps: the End node\'s output variable holding the answer; empty: "text", else the only text output.',
    format: 'text',
    default: '',
    env: 'DIFY_WORKFLOW_OUTPUT',
  },
  dify_show_thoughts: {
    doc: "Agent apps: show the agent's thoughts before its answer (hidden by default).",
    format: 'flag',
    default: false,
    env: 'DIFY_SHOW_THOUGHTS',
  },
};

export function describe(config: BackendConfig): string {
  const dify = config as BackendConfig & DifyConfig;
  return `a Dify ${dify.dify_app_type} app at ${safeUrl(dify.dify_api_base)}`;
}

export async function check(config: BackendConfig, timeoutMs: number): Promise<{ ok: boolean; detail: string; fix?: string }> {
  const { checkDifyApp } = await import('./dify-check.js');
  return checkDifyApp({ ...(config as BackendConfig & DifyConfig), request_timeout: Math.ceil(timeoutMs / 1000), max_retries: 0 });
}

/** A Dify app (chatbot, agent, chatflow or workflow) through its Service API; Dify keeps the conversation. */
export async function createBot(config: BackendConfig, deps: BackendDeps): Promise<ChatBot> {
  const { DifyChatBot } = await import('./dify-chat-bot.js');
  return new DifyChatBot(config as BackendConfig & DifyConfig, deps.logger);
}
