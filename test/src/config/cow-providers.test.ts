import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../../src/config/config-error.js';
import { cowProviderSchema } from '../../../src/config/cow-provider-schema.js';
import { chooseLlm, describeLlm, type LlmConfig, providerOfModel } from '../../../src/config/cow-providers.js';

/** Our defaults, as loadConfig hands them over when the user wrote nothing else. */
const defaults = (): LlmConfig =>
  ({
    ...Object.fromEntries(Object.entries(cowProviderSchema).map(([key, node]) => [key, (node as { default: unknown }).default])),
    model: 'gpt-4o-mini',
    open_ai_api_key: '',
    open_ai_api_base: 'https://api.openai.com/v1',
  }) as LlmConfig;

const choose = (written: Partial<LlmConfig>) => chooseLlm({ ...defaults(), ...written }, 'model' in written);

describe('CoW LLM keys map onto the OpenAI-compatible backend', () => {
  const cases: Array<[string, Partial<LlmConfig>, { provider: string; apiKey: string; apiBase: string; model: string; chosenBy: string }]> =
    [
      [
        'CoW template: deepseek by model',
        { model: 'deepseek-v4-flash', deepseek_api_key: 'sk-ds', deepseek_api_base: 'https://api.deepseek.com/v1' },
        { provider: 'deepseek', apiKey: 'sk-ds', apiBase: 'https://api.deepseek.com/v1', model: 'deepseek-v4-flash', chosenBy: 'model' },
      ],
      [
        'deepseek key alone: its default URL and model',
        { deepseek_api_key: 'sk-ds' },
        { provider: 'deepseek', apiKey: 'sk-ds', apiBase: 'https://api.deepseek.com/v1', model: 'deepseek-v4-flash', chosenBy: 'key' },
      ],
      [
        "deepseek falls back to open_ai_api_key, as CoW's bot",
        { model: 'deepseek-chat', open_ai_api_key: 'sk-oa' },
        { provider: 'deepseek', apiKey: 'sk-oa', apiBase: 'https://api.deepseek.com/v1', model: 'deepseek-chat', chosenBy: 'model' },
      ],
      [
        'kimi model → moonshot_base_url',
        { model: 'kimi-k2', moonshot_api_key: 'mk', moonshot_base_url: 'https://api.moonshot.ai/v1/' },
        { provider: 'moonshot', apiKey: 'mk', apiBase: 'https://api.moonshot.ai/v1', model: 'kimi-k2', chosenBy: 'model' },
      ],
      [
        'qwen model → DashScope compatible mode',
        { model: 'qwen-plus', dashscope_api_key: 'dk' },
        {
          provider: 'dashscope',
          apiKey: 'dk',
          apiBase: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
          model: 'qwen-plus',
          chosenBy: 'model',
        },
      ],
      [
        'glm model → zhipu_ai_api_base',
        { model: 'glm-4-flash', zhipu_ai_api_key: 'zk', zhipu_ai_api_base: 'https://open.bigmodel.cn/api/paas/v4' },
        { provider: 'zhipu', apiKey: 'zk', apiBase: 'https://open.bigmodel.cn/api/paas/v4', model: 'glm-4-flash', chosenBy: 'model' },
      ],
      [
        'doubao model → Ark',
        { model: 'doubao-seed-2-0-lite-260215', ark_api_key: 'ak' },
        {
          provider: 'doubao',
          apiKey: 'ak',
          apiBase: 'https://ark.cn-beijing.volces.com/api/v3',
          model: 'doubao-seed-2-0-lite-260215',
          chosenBy: 'model',
        },
      ],
      [
        'MiniMax model',
        { model: 'MiniMax-M2.7', minimax_api_key: 'mm' },
        { provider: 'minimax', apiKey: 'mm', apiBase: 'https://api.minimaxi.com/v1', model: 'MiniMax-M2.7', chosenBy: 'model' },
      ],
      [
        'bare "modelscope": its endpoint URL trimmed, its default model',
        { model: 'modelscope', modelscope_api_key: 'ms', modelscope_base_url: 'https://api-inference.modelscope.cn/v1/chat/completions' },
        {
          provider: 'modelscope',
          apiKey: 'ms',
          apiBase: 'https://api-inference.modelscope.cn/v1',
          model: 'Qwen/Qwen3.5-27B',
          chosenBy: 'model',
        },
      ],
      [
        'ernie model → Qianfan v2',
        { model: 'ernie-4.5-turbo-128k', qianfan_api_key: 'bce-v3/x' },
        {
          provider: 'qianfan',
          apiKey: 'bce-v3/x',
          apiBase: 'https://qianfan.baidubce.com/v2',
          model: 'ernie-4.5-turbo-128k',
          chosenBy: 'model',
        },
      ],
      [
        "claude model → Anthropic's OpenAI SDK compatibility",
        { model: 'claude-sonnet-4-5', claude_api_key: 'ck' },
        { provider: 'claude', apiKey: 'ck', apiBase: 'https://api.anthropic.com/v1', model: 'claude-sonnet-4-5', chosenBy: 'model' },
      ],
      [
        'gemini: the host gets /v1beta/openai',
        { model: 'gemini-2.5-flash', gemini_api_key: 'gk', gemini_api_base: 'https://generativelanguage.googleapis.com' },
        {
          provider: 'gemini',
          apiKey: 'gk',
          apiBase: 'https://generativelanguage.googleapis.com/v1beta/openai',
          model: 'gemini-2.5-flash',
          chosenBy: 'model',
        },
      ],
      [
        'use_linkai with its key',
        { use_linkai: true, linkai_api_key: 'lk', model: 'gpt-4o' },
        { provider: 'linkai', apiKey: 'lk', apiBase: 'https://api.link-ai.tech/v1', model: 'gpt-4o', chosenBy: 'use_linkai' },
      ],
      [
        'bot_type wins over the model',
        { bot_type: 'moonshot', model: 'gpt-4o', moonshot_api_key: 'mk' },
        { provider: 'moonshot', apiKey: 'mk', apiBase: 'https://api.moonshot.cn/v1', model: 'gpt-4o', chosenBy: 'bot_type' },
      ],
      [
        'bot_type "custom"',
        { bot_type: 'custom', custom_api_key: 'cu', custom_api_base: 'http://10.0.0.2:8000/v1', model: 'llama3' },
        { provider: 'custom', apiKey: 'cu', apiBase: 'http://10.0.0.2:8000/v1', model: 'llama3', chosenBy: 'bot_type' },
      ],
      [
        'bot_type "openai" keeps open_ai_* whatever the model',
        { bot_type: 'openai', model: 'glm-4', open_ai_api_key: 'ok', open_ai_api_base: 'http://gateway/v1' },
        { provider: 'openai', apiKey: 'ok', apiBase: 'http://gateway/v1', model: 'glm-4', chosenBy: 'bot_type' },
      ],
      [
        "an explicit open_ai_api_base wins over the model's provider",
        { model: 'glm-4', zhipu_ai_api_key: 'zk', open_ai_api_key: 'ok', open_ai_api_base: 'http://one-api:3000/v1' },
        { provider: 'openai', apiKey: 'ok', apiBase: 'http://one-api:3000/v1', model: 'glm-4', chosenBy: 'open_ai_api_base' },
      ],
      [
        'an explicit open_ai_api_key wins over the only provider key',
        { open_ai_api_key: 'ok', deepseek_api_key: 'sk-ds' },
        { provider: 'openai', apiKey: 'ok', apiBase: 'https://api.openai.com/v1', model: 'gpt-4o-mini', chosenBy: 'default' },
      ],
      [
        'nothing set: OpenAI, no key (offline)',
        {},
        { provider: 'openai', apiKey: '', apiBase: 'https://api.openai.com/v1', model: 'gpt-4o-mini', chosenBy: 'default' },
      ],
    ];
  for (const [name, written, expected] of cases) {
    test(name, () => {
      const { provider, apiKey, apiBase, model, chosenBy } = choose(written);
      assert.deepEqual({ provider, apiKey, apiBase, model, chosenBy }, expected);
    });
  }

  test('a provider model without its key: offline, naming the key to set', () => {
    assert.deepEqual(choose({ model: 'deepseek-v4-flash' }).missing, {
      key: 'deepseek_api_key',
      why: 'model "deepseek-v4-flash" is DeepSeek\'s and deepseek_api_key is empty',
    });
    assert.deepEqual(choose({}).missing, { key: 'open_ai_api_key', why: 'open_ai_api_key is empty' });
  });

  test('a provider model with only an OpenAI key is a mistake: start-up stops naming the key', () => {
    assert.throws(
      () => choose({ model: 'kimi-k2', open_ai_api_key: 'ok' }),
      (error: ConfigError) =>
        error.message ===
        'config error: moonshot_api_key: expected a value (model "kimi-k2" is Moonshot (Kimi)\'s; or set open_ai_api_base to the server that serves this model), found nothing',
    );
  });

  test('providers without an OpenAI-compatible endpoint for these credentials stop with what to set instead', () => {
    const message = (written: Partial<LlmConfig>) => {
      try {
        choose(written);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        assert.ok(!error.message.includes('\n'));
        return error.message;
      }
      assert.fail('expected a ConfigError');
    };
    assert.match(
      message({ model: 'wenxin', baidu_wenxin_api_key: 'b', baidu_wenxin_secret_key: 's' }),
      /^config error: model: expected what weworktop can call instead: set qianfan_api_key .*, found "wenxin" \(Baidu Wenxin/,
    );
    assert.match(
      message({ bot_type: 'xunfei', xunfei_app_id: 'x' }),
      /^config error: bot_type: expected .*open_ai_api_base "https:\/\/spark-api-open\.xf-yun\.com\/v1".*APIPassword.*, found "xunfei"/,
    );
    assert.match(
      message({ use_azure_chatgpt: true, open_ai_api_base: 'https://mine.openai.azure.com/' }),
      /^config error: use_azure_chatgpt: expected .*openai\.azure\.com\/openai\/v1.*deployment name.*, found true/,
    );
    assert.match(message({ bot_type: 'nope' }), /^config error: bot_type: expected one of "openai", .*"deepseek".*, found string "nope"$/);
    assert.match(message({ bot_type: 'custom', custom_api_key: 'k' }), /^config error: custom_api_base: expected the base URL/);
    assert.match(
      message({ deepseek_api_key: 'a', moonshot_api_key: 'b' }),
      /^config error: bot_type: expected one of "deepseek", "moonshot", found nothing \(the keys of 2 providers are set/,
    );
  });

  test("CoW's model rule, later rules winning as in its Bridge", () => {
    const table: Array<[string, string]> = [
      ['gpt-4o', 'openai'],
      ['text-davinci-003', 'openai'],
      ['deepseek-reasoner', 'deepseek'],
      ['qwq-plus', 'dashscope'],
      ['kimi-k2.6', 'moonshot'],
      ['moonshot-v1-8k', 'moonshot'],
      ['glm-5.1', 'zhipu'],
      ['ERNIE-4.0-Turbo-8K', 'qianfan'],
      ['abab6.5-chat', 'minimax'],
      ['MiniMax-M2.5', 'minimax'],
      ['doubao-seed-2-0-mini-260215', 'doubao'],
      ['gemini-3-flash-preview', 'gemini'],
      ['claude-opus-4-6', 'claude'],
      ['wenxin-4', 'baidu'],
      ['xunfei', 'xunfei'],
      ['my-local-model', 'openai'],
    ];
    for (const [model, provider] of table) assert.equal(providerOfModel(model), provider, model);
  });

  test('the start line names the provider, URL and model, never the key', () => {
    const line = describeLlm(
      choose({ model: 'deepseek-chat', deepseek_api_key: 'sk-secret-ds', deepseek_api_base: 'https://user:pw@api.deepseek.com/v1?x=1' }),
    );
    assert.equal(line, 'LLM: DeepSeek at https://api.deepseek.com/v1, model deepseek-chat (by model, as CoW does)');
  });
});
