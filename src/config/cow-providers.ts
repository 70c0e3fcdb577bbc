import { ConfigError } from './config-error.js';
import type { CowProviderKeys } from './cow-provider-schema.js';

/** OpenAI's own API: the default base URL, and with no key the offline responder answers. */
export const OPENAI_API_BASE = 'https://api.openai.com/v1';

export type LlmConfig = CowProviderKeys & { model: string; open_ai_api_key: string; open_ai_api_base: string };
type TextKey = { [K in keyof LlmConfig]: LlmConfig[K] extends string ? K : never }[keyof LlmConfig];

interface CompatibleProvider {
  label: string;
  /** The first one set is the key (DeepSeek falls back to open_ai_api_key, as CoW's bot does). */
  keys: TextKey[];
  bases: TextKey[];
  defaultBase: string;
  /** Appended to a base URL that is a bare host (Gemini's and LinkAI's OpenAI-compatible paths). */
  hostPath?: string;
  /** CoW's bot default, for a config that names no model. */
  defaultModel: string;
}

/** Providers whose OpenAI-compatible endpoint takes the key CoW already has (see docs/cow-migration.md). */
export const COMPATIBLE: Record<string, CompatibleProvider> = {
  deepseek: {
    label: 'DeepSeek',
    keys: ['deepseek_api_key', 'open_ai_api_key'],
    bases: ['deepseek_api_base'],
    defaultBase: 'https://api.deepseek.com/v1',
    defaultModel: 'deepseek-v4-flash',
  },
  moonshot: {
    label: 'Moonshot (Kimi)',
    keys: ['moonshot_api_key'],
    bases: ['moonshot_base_url', 'moonshot_api_base'],
    defaultBase: 'https://api.moonshot.cn/v1',
    defaultModel: 'moonshot-v1-128k',
  },
  dashscope: {
    label: 'DashScope (Qwen)',
    keys: ['dashscope_api_key'],
    bases: ['dashscope_api_base'],
    defaultBase: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
    defaultModel: 'qwen3.6-plus',
  },
  zhipu: {
    label: 'Zhipu AI (GLM)',
    keys: ['zhipu_ai_api_key'],
    bases: ['zhipu_ai_api_base'],
    defaultBase: 'https://open.bigmodel.cn/api/paas/v4',
    defaultModel: 'glm-4',
  },
  doubao: {
    label: 'Volcengine Ark (Doubao)',
    keys: ['ark_api_key'],
    bases: ['ark_base_url', 'ark_api_base'],
    defaultBase: 'https://ark.cn-beijing.volces.com/api/v3',
    defaultModel: 'doubao-seed-2-0-pro-260215',
  },
  minimax: {
    label: 'MiniMax',
    keys: ['minimax_api_key'],
    bases: ['minimax_api_base'],
    defaultBase: 'https://api.minimaxi.com/v1',
    defaultModel: 'MiniMax-M2.7',
  },
  modelscope: {
    label: 'ModelScope',
    keys: ['modelscope_api_key'],
    bases: ['modelscope_base_url'],
    defaultBase: 'https://api-inference.modelscope.cn/v1',
    defaultModel: 'Qwen/Qwen3.5-27B',
  },
  qianfan: {
    label: 'Baidu Qianfan',
    keys: ['qianfan_api_key'],
    bases: ['qianfan_api_base'],
    defaultBase: 'https://qianfan.baidubce.com/v2',
    defaultModel: 'ernie-5.0',
  },
  claude: {
    label: 'Anthropic (Claude)',
    keys: ['claude_api_key'],
    bases: ['claude_api_base'],
    defaultBase: 'https://api.anthropic.com/v1',
    defaultModel: 'claude-sonnet-4-5',
  },
  gemini: {
    label: 'Google Gemini',
    keys: ['gemini_api_key'],
    bases: ['gemini_api_base'],
    defaultBase: 'https://generativelanguage.googleapis.com',
    hostPath: '/v1beta/openai',
    defaultModel: 'gemini-2.5-flash',
  },
  linkai: {
    label: 'LinkAI',
    keys: ['linkai_api_key'],
    bases: ['linkai_api_base'],
    defaultBase: 'https://api.link-ai.tech',
    hostPath: '/v1',
    defaultModel: 'gpt-4o-mini',
  },
  custom: {
    label: 'a custom OpenAI-compatible server',
    keys: ['custom_api_key'],
    bases: ['custom_api_base'],
    defaultBase: '',
    defaultModel: 'gpt-4o-mini',
  },
};

/** CoW providers whose credentials no OpenAI-compatible endpoint takes: start-up stops with what to set instead. */
export const UNSUPPORTED: Record<string, { label: string; instead: string }> = {
  baidu: {
    label: 'Baidu Wenxin (its old AK/SK API)',
    instead:
      'set qianfan_api_key (an API key of the Qianfan console; its v2 API is OpenAI-compatible) and model, e.g. "ernie-4.5-turbo-128k", and remove bot_type "baidu"',
  },
  xunfei: {
    label: 'iFlytek Spark (its WebSocket API)',
    instead:
      'set open_ai_api_base "https://spark-api-open.xf-yun.com/v1", open_ai_api_key to the APIPassword of your Spark app and model, e.g. "generalv3.5" (Spark\'s OpenAI-compatible HTTP API)',
  },
  azure: {
    label: 'Azure OpenAI (deployment URLs)',
    instead:
      'set open_ai_api_base "https://YOUR-RESOURCE.openai.azure.com/openai/v1" (Azure\'s OpenAI-compatible v1 API), open_ai_api_key to the resource key and model to your deployment name, and remove use_azure_chatgpt',
  },
};

/** CoW's bot_type values (common/const.py) and the provider each means here. */
export const BOT_TYPES: Record<string, string> = {
  openai: 'openai',
  chatGPT: 'openai',
  openAI: 'openai',
  custom: 'custom',
  deepseek: 'deepseek',
  moonshot: 'moonshot',
  qwen: 'dashscope',
  dashscope: 'dashscope',
  zhipu: 'zhipu',
  'glm-4': 'zhipu',
  doubao: 'doubao',
  minimax: 'minimax',
  modelscope: 'modelscope',
  qianfan: 'qianfan',
  claudeAPI: 'claude',
  claude: 'claude',
  gemini: 'gemini',
  linkai: 'linkai',
  baidu: 'baidu',
  xunfei: 'xunfei',
  chatGPTOnAzure: 'azure',
};

/** CoW's Bridge: which provider a model name belongs to (later rules win, as there). */
export function providerOfModel(model: string): string {
  const lower = model.toLowerCase();
  let provider = 'openai';
  if (model === 'wenxin' || model === 'wenxin-4') provider = 'baidu';
  if (model === 'xunfei') provider = 'xunfei';
  if (/^(qwen|qwq|qvq)/.test(model)) provider = 'dashscope';
  if (model.startsWith('gemini')) provider = 'gemini';
  if (model.startsWith('glm')) provider = 'zhipu';
  if (model.startsWith('claude')) provider = 'claude';
  if (model.startsWith('moonshot') || model.startsWith('kimi')) provider = 'moonshot';
  if (model.startsWith('doubao')) provider = 'doubao';
  if (model.startsWith('deepseek')) provider = 'deepseek';
  if (lower === 'qianfan' || lower.startsWith('ernie')) provider = 'qianfan';
  if (model === 'modelscope') provider = 'modelscope';
  if (model === 'abab6.5-chat' || model === 'abab6.5' || lower.startsWith('minimax')) provider = 'minimax';
  return provider;
}

export interface LlmChoice {
  provider: string;
  label: string;
  /** What decided: the bot_type, CoW's model rule, the only provider key set, or open_ai_* as written. */
  chosenBy: 'bot_type' | 'use_azure_chatgpt' | 'use_linkai' | 'model' | 'key' | 'open_ai_api_base' | 'default';
  apiKey: string;
  apiBase: string;
  model: string;
  /** No key: the offline responder answers; this names the key to set and why. */
  missing?: { key: string; why: string };
}

/**
 * Decides which OpenAI-compatible server answers, with which key and model, from the keys of a
 * CoW config (or ours): bot_type, then use_linkai, then CoW's model rule; with none of them
 * pointing elsewhere, the only provider key set. A non-default open_ai_api_base the user wrote
 * wins over a provider guessed from the model (it is a gateway serving that model). Throws a
 * ConfigError naming what to set when CoW's choice has no OpenAI-compatible equivalent.
 */
export function chooseLlm(config: LlmConfig, modelWritten: boolean): LlmChoice {
  const explicitBase = config.open_ai_api_base !== '' && config.open_ai_api_base !== OPENAI_API_BASE;
  let provider: string;
  let chosenBy: LlmChoice['chosenBy'];
  if (config.bot_type) {
    const named = BOT_TYPES[config.bot_type];
    if (!named)
      throw new ConfigError(
        'bot_type',
        `one of ${Object.keys(BOT_TYPES)
          .map((name) => `"${name}"`)
          .join(', ')} (or "" to choose by model)`,
        `string ${JSON.stringify(config.bot_type)}`,
      );
    [provider, chosenBy] = [named, 'bot_type'];
  } else if (config.use_azure_chatgpt) {
    [provider, chosenBy] = ['azure', 'use_azure_chatgpt'];
  } else if (config.use_linkai && config.linkai_api_key) {
    [provider, chosenBy] = ['linkai', 'use_linkai'];
  } else {
    [provider, chosenBy] = [providerOfModel(config.model), 'model'];
  }

  const unsupported = UNSUPPORTED[provider];
  if (unsupported) {
    const [key, value]: [string, unknown] =
      chosenBy === 'bot_type'
        ? ['bot_type', config.bot_type]
        : provider === 'azure'
          ? ['use_azure_chatgpt', true]
          : ['model', config.model];
    throw new ConfigError(
      key,
      `what weworktop can call instead: ${unsupported.instead}`,
      `${JSON.stringify(value)} (${unsupported.label}, whose credentials no OpenAI-compatible endpoint takes)`,
    );
  }
  if (chosenBy === 'model' && explicitBase) return openAI(config, provider === 'openai' ? 'default' : 'open_ai_api_base');
  if (provider === 'openai' && chosenBy !== 'bot_type' && !config.open_ai_api_key) {
    const keyed = Object.keys(COMPATIBLE).filter((id) => id !== 'custom' && id !== 'linkai' && config[COMPATIBLE[id]!.keys[0]!]);
    if (keyed.length > 1) {
      throw new ConfigError(
        'bot_type',
        `one of ${keyed.map((id) => `"${id}"`).join(', ')}`,
        `nothing (the keys of ${keyed.length} providers are set and model "${config.model}" is none of theirs)`,
      );
    }
    if (keyed.length === 1) [provider, chosenBy] = [keyed[0]!, 'key'];
  }
  if (provider === 'openai') return openAI(config, chosenBy === 'bot_type' ? 'bot_type' : 'default');
  return compatible(provider, COMPATIBLE[provider]!, config, chosenBy, modelWritten);
}

function openAI(config: LlmConfig, chosenBy: LlmChoice['chosenBy']): LlmChoice {
  const offline = !config.open_ai_api_key && config.open_ai_api_base === OPENAI_API_BASE;
  return {
    provider: 'openai',
    label: config.open_ai_api_base === OPENAI_API_BASE ? 'OpenAI' : 'an OpenAI-compatible server',
    chosenBy,
    apiKey: config.open_ai_api_key,
    apiBase: config.open_ai_api_base,
    model: config.model,
    ...(offline ? { missing: { key: 'open_ai_api_key', why: 'open_ai_api_key is empty' } } : {}),
  };
}

function compatible(
  id: string,
  provider: CompatibleProvider,
  config: LlmConfig,
  chosenBy: LlmChoice['chosenBy'],
  modelWritten: boolean,
): LlmChoice {
  const apiKey = provider.keys.map((name) => config[name]).find(Boolean) ?? '';
  // A bare provider name ("qwen", "moonshot": valid in CoW's model list) names no model.
  const model = modelWritten && !(config.model in BOT_TYPES) ? config.model : provider.defaultModel;
  const written = provider.bases.map((name) => config[name]).find(Boolean);
  if (id === 'custom' && !written)
    throw new ConfigError('custom_api_base', 'the base URL of your OpenAI-compatible server (bot_type is "custom")', 'nothing');
  const fallback = id === 'deepseek' && config.open_ai_api_base !== OPENAI_API_BASE ? config.open_ai_api_base : provider.defaultBase;
  const apiBase = withHostPath(trimEndpoint(written || fallback), provider.hostPath);
  const keyName = provider.keys[0]!;
  if (!apiKey) {
    const why =
      chosenBy === 'bot_type' ? `bot_type "${config.bot_type}" is ${provider.label}` : `model "${config.model}" is ${provider.label}'s`;
    // A key for another server was given: this is a mistake, not a first run.
    if (config.open_ai_api_key)
      throw new ConfigError(keyName, `a value (${why}; or set open_ai_api_base to the server that serves this model)`, 'nothing');
    return {
      provider: 'openai',
      label: 'OpenAI',
      chosenBy,
      apiKey: '',
      apiBase: OPENAI_API_BASE,
      model: config.model,
      missing: { key: keyName, why: `${why} and ${keyName} is empty` },
    };
  }
  return { provider: id, label: provider.label, chosenBy, apiKey, apiBase, model };
}

/** CoW accepts a base written with its endpoint (ModelScope's default is one); the SDK wants the base. */
function trimEndpoint(base: string): string {
  return base.replace(/\/chat\/completions\/?$/, '').replace(/\/+$/, '');
}

function withHostPath(base: string, hostPath: string | undefined): string {
  if (!hostPath) return base;
  const url = new URL(base);
  return url.pathname === '/' || url.pathname === '' ? `${url.origin}${hostPath}` : base;
}

/** The INFO line at start: which provider answers, where and with which model (never the key). */
export function describeLlm(choice: LlmChoice): string {
  const why = {
    bot_type: 'by bot_type',
    use_azure_chatgpt: 'by use_azure_chatgpt',
    use_linkai: 'by use_linkai',
    model: 'by model, as CoW does',
    key: 'the only provider key set',
    open_ai_api_base: 'open_ai_api_base is set',
    default: 'open_ai_api_key / open_ai_api_base',
  }[choice.chosenBy];
  return `LLM: ${choice.label} at ${safeUrl(choice.apiBase)}, model ${choice.model} (${why})`;
}

/** A URL for a log line: no user:password, no query string. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`.replace(/\/$/, '');
  } catch {
    return '(not a URL)';
  }
}
