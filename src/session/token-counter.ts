import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import o200k from 'js-tiktoken/ranks/o200k_base';
import type { ChatMessage } from '../bot/chat-bot.js';

/**
 * Counts tokens with the model's real BPE (tiktoken ranks). gpt-3.5/gpt-4 use cl100k_base; newer
 * OpenAI models use o200k_base. Other vendors' models (Qwen, DeepSeek, Llama...) have their own
 * tokenizers; o200k_base is the closest widely shipped one, so budgets are approximate there.
 */
export class TokenCounter {
  private readonly encoding: Tiktoken;

  constructor(readonly model: string) {
    const legacy = /^(gpt-3\.5|gpt-4(?!o|\.\d)|text-embedding-ada)/.test(model);
    this.encoding = new Tiktoken(legacy ? cl100k : o200k);
  }

  count(text: string): number {
    return this.encoding.encode(text).length;
  }

  /** One message's cost in a chat request: its content plus the per-message framing (OpenAI cookbook). */
  countMessage(message: ChatMessage): number {
    const content = typeof message.content === 'string' ? message.content : message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
    // Each image costs at least the low-detail 85 tokens.
    const images = typeof message.content === 'string' ? 0 : message.content.filter((part) => part.type === 'image_url').length;
    return TOKENS_PER_MESSAGE + this.count(content) + images * 85;
  }
}

const TOKENS_PER_MESSAGE = 3;
/** Every reply is primed with <|start|>assistant<|message|>. */
export const REPLY_PRIMING_TOKENS = 3;
