import type convict from 'convict';

/**
 * CoW's LLM provider keys (its config.py), read so a CoW config keeps answering with the same
 * model and key: cow-providers.ts maps them onto the OpenAI-compatible backend. Base URLs default
 * to "" meaning the provider's own URL, so a base the user wrote can be told apart.
 */
export interface CowProviderKeys {
  bot_type: string;
  custom_api_key: string;
  custom_api_base: string;
  deepseek_api_key: string;
  deepseek_api_base: string;
  moonshot_api_key: string;
  moonshot_base_url: string;
  moonshot_api_base: string;
  dashscope_api_key: string;
  dashscope_api_base: string;
  zhipu_ai_api_key: string;
  zhipu_ai_api_base: string;
  ark_api_key: string;
  ark_base_url: string;
  ark_api_base: string;
  minimax_api_key: string;
  minimax_api_base: string;
  modelscope_api_key: string;
  modelscope_base_url: string;
  qianfan_api_key: string;
  qianfan_api_base: string;
  claude_api_key: string;
  claude_api_base: string;
  gemini_api_key: string;
  gemini_api_base: string;
  use_linkai: boolean;
  linkai_api_key: string;
  linkai_api_base: string;
  use_azure_chatgpt: boolean;
  baidu_wenxin_api_key: string;
  baidu_wenxin_secret_key: string;
  xunfei_app_id: string;
  xunfei_api_key: string;
  xunfei_api_secret: string;
}

/** CoW reads every key from the environment under its name in upper case; so do we. */
const key = (doc: string, name: string) => ({ doc, format: 'text', default: '', sensitive: true, env: name.toUpperCase() }) as const;
const base = (doc: string, name: string) => ({ doc, format: 'http-url-or-empty', default: '', env: name.toUpperCase() }) as const;

export const cowProviderSchema: convict.Schema<CowProviderKeys> = {
  bot_type: {
    doc: 'Which backend answers: CoW\'s values (e.g. "deepseek") mean the OpenAI-compatible one at that provider; empty: chosen by model, as in CoW (src/backends/README.md).',
    format: 'text',
    default: '',
    env: 'BOT_TYPE',
  },
  custom_api_key: key('CoW bot_type "custom": API key of an OpenAI-compatible server.', 'custom_api_key'),
  custom_api_base: base('CoW bot_type "custom": its base URL.', 'custom_api_base'),
  deepseek_api_key: key('DeepSeek API key.', 'deepseek_api_key'),
  deepseek_api_base: base('DeepSeek base URL; empty: https://api.deepseek.com/v1.', 'deepseek_api_base'),
  moonshot_api_key: key('Moonshot (Kimi) API key.', 'moonshot_api_key'),
  moonshot_base_url: base('Moonshot base URL; empty: https://api.moonshot.cn/v1.', 'moonshot_base_url'),
  moonshot_api_base: base('Moonshot base URL (the name CoW exports to the environment).', 'moonshot_api_base'),
  dashscope_api_key: key('Alibaba DashScope (Qwen) API key.', 'dashscope_api_key'),
  dashscope_api_base: base(
    'DashScope OpenAI-compatible base URL; empty: https://dashscope.aliyuncs.com/compatible-mode/v1.',
    'dashscope_api_base',
  ),
  zhipu_ai_api_key: key('Zhipu AI (GLM) API key.', 'zhipu_ai_api_key'),
  zhipu_ai_api_base: base('Zhipu AI base URL; empty: https://open.bigmodel.cn/api/paas/v4.', 'zhipu_ai_api_base'),
  ark_api_key: key('Volcengine Ark (Doubao) API key.', 'ark_api_key'),
  ark_base_url: base('Ark base URL; empty: https://ark.cn-beijing.volces.com/api/v3.', 'ark_base_url'),
  ark_api_base: base('Ark base URL (the name CoW exports to the environment).', 'ark_api_base'),
  minimax_api_key: key('MiniMax API key.', 'minimax_api_key'),
  minimax_api_base: base('MiniMax base URL; empty: https://api.minimaxi.com/v1.', 'minimax_api_base'),
  modelscope_api_key: key('ModelScope API key.', 'modelscope_api_key'),
  modelscope_base_url: base('ModelScope base URL; empty: https://api-inference.modelscope.cn/v1.', 'modelscope_base_url'),
  qianfan_api_key: key('Baidu Qianfan API key (bce-v3).', 'qianfan_api_key'),
  qianfan_api_base: base('Qianfan base URL; empty: https://qianfan.baidubce.com/v2.', 'qianfan_api_base'),
  claude_api_key: key('Anthropic API key (through its OpenAI SDK compatibility).', 'claude_api_key'),
  claude_api_base: base('Anthropic base URL; empty: https://api.anthropic.com/v1.', 'claude_api_base'),
  gemini_api_key: key('Google Gemini API key.', 'gemini_api_key'),
  gemini_api_base: base(
    'Gemini host; empty: https://generativelanguage.googleapis.com (its OpenAI-compatible path /v1beta/openai is added).',
    'gemini_api_base',
  ),
  use_linkai: { doc: 'CoW: answer through LinkAI with linkai_api_key.', format: 'flag', default: false, env: 'USE_LINKAI' },
  linkai_api_key: key('LinkAI API key.', 'linkai_api_key'),
  linkai_api_base: base('LinkAI host; empty: https://api.link-ai.tech (/v1 is added).', 'linkai_api_base'),
  use_azure_chatgpt: {
    doc: "CoW's Azure OpenAI switch; start-up says what to set instead.",
    format: 'flag',
    default: false,
    env: 'USE_AZURE_CHATGPT',
  },
  baidu_wenxin_api_key: key(
    "CoW's Wenxin key (no OpenAI-compatible API takes it; start-up says what to set instead).",
    'baidu_wenxin_api_key',
  ),
  baidu_wenxin_secret_key: key("CoW's Wenxin secret (see baidu_wenxin_api_key).", 'baidu_wenxin_secret_key'),
  xunfei_app_id: {
    doc: "CoW's iFlytek Spark app id (its WebSocket API; start-up says what to set instead).",
    format: 'text',
    default: '',
    env: 'XUNFEI_APP_ID',
  },
  xunfei_api_key: key("CoW's iFlytek Spark API key (see xunfei_app_id).", 'xunfei_api_key'),
  xunfei_api_secret: key("CoW's iFlytek Spark API secret (see xunfei_app_id).", 'xunfei_api_secret'),
};
