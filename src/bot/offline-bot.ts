import type { ChatBot, ChatMessage, Completion } from './chat-bot.js';

/**
 * Stands in when no LLM is configured, so a fresh install still answers. It says plainly that it
 * is not an LLM and shows what the pipeline did, which is what a newcomer wants to see.
 */
export class OfflineBot implements ChatBot {
  constructor(private readonly countTokens: (text: string) => number) {}

  async complete(messages: ChatMessage[], options: { onPartial?: (textSoFar: string) => void } = {}): Promise<Completion> {
    const last = messages[messages.length - 1];
    const question = typeof last?.content === 'string' ? last.content : (last?.content.find((part) => part.type === 'text')?.text ?? '');
    const history = messages.filter((message) => message.role !== 'system').length - 1;
    const text = [
      '[离线模式] 我不是大模型：还没有配置 open_ai_api_key / open_ai_api_base。',
      `收到：「${question}」（${this.countTokens(question)} tokens，上下文中另有 ${history} 条历史消息）。`,
      '在 config.json 中设置 open_ai_api_key（或指向任意 OpenAI 兼容服务的 open_ai_api_base）即可获得真正的回答。',
    ].join('\n');
    options.onPartial?.(text);
    return { text };
  }
}
