/** The LLM as the pipeline sees it: messages in, text out (optionally streamed). */
export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

export interface Completion {
  text: string;
  totalTokens?: number;
}

export interface ChatBot {
  complete(messages: ChatMessage[], options?: { onPartial?: (textSoFar: string) => void }): Promise<Completion>;
}
