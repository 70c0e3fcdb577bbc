import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatBot, ChatMessage, CompleteOptions, Completion } from './chat-bot.js';

const textOf = (message: ChatMessage | undefined): string =>
  typeof message?.content === 'string' ? message.content : (message?.content.find((part) => part.type === 'text')?.text ?? '');

/**
 * Stands in when no LLM is configured, so a fresh install still answers. It says plainly that it
 * is not an LLM and shows what the pipeline did, which is what a newcomer wants to see. The answer
 * is written line by line, like a model streaming, so streaming channels show it growing.
 */
export interface OfflineBotOptions {
  /** Pause between the answer's lines (default 250 ms). */
  stepDelayMs?: number;
  /** The key that would bring a model (a CoW model names its provider's key). */
  missing?: { key: string } | undefined;
}

export class OfflineBot implements ChatBot {
  private readonly stepDelayMs: number;
  private readonly howToFix: string;

  constructor(
    private readonly countTokens: (text: string) => number,
    options: OfflineBotOptions = {},
  ) {
    this.stepDelayMs = options.stepDelayMs ?? 250;
    const key = options.missing?.key ?? 'open_ai_api_key';
    const alternative = key === 'open_ai_api_key' ? '（或指向任意 OpenAI 兼容服务的 open_ai_api_base）' : '';
    this.howToFix = `还没有接入大模型（${key} 为空）：管理员设置 ${key}${alternative || ' '}后，这里就是真正的回答。`;
  }

  async complete(messages: ChatMessage[], options: CompleteOptions = {}): Promise<Completion> {
    const question = textOf(messages[messages.length - 1]);
    const history = messages.filter((message) => message.role !== 'system').length - 1;
    const hasPrompt = messages.some((message) => message.role === 'system');
    const total = messages.reduce((sum, message) => sum + this.countTokens(textOf(message)), 0);
    const lines = [
      '[离线模式] 我不是大模型，只是告诉你这条消息在流水线里经历了什么：',
      `1. 触发规则已匹配，触发前缀已去掉，问题是：「${question}」`,
      `2. 问题 ${this.countTokens(question)} tokens；加上${hasPrompt ? '系统提示和' : ''} ${history} 条历史消息，共 ${total} tokens 会发给模型`,
      `3. ${this.howToFix}`,
    ];
    let text = '';
    for (const [index, line] of lines.entries()) {
      if (index > 0 && options.onPartial) await sleep(this.stepDelayMs);
      text = index === 0 ? line : `${text}\n${line}`;
      options.onPartial?.(text);
    }
    return { text };
  }
}
