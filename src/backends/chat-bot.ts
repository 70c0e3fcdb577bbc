/** The LLM as the pipeline sees it: messages in, text out (optionally streamed). */
export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

export interface Completion {
  text: string;
  totalTokens?: number;
  /** Images the answer carries (a Dify agent's tool output), fetched by the backend: sent after the text. */
  images?: Array<{ data: Buffer; mimeType: string }>;
}

/**
 * The session a question belongs to, for backends that keep the conversation on their side (Dify):
 * they read and write their own state here instead of reading the history.
 */
export interface BackendSession {
  /** Who asks, stable and scoped (the session key: the WeCom user within the app or bot, or the group). */
  readonly user: string;
  /** What the backend saved for this session (Dify: its conversation_id); {} when new or cleared (#清除记忆). */
  readonly state: Readonly<Record<string, string>>;
  /** Kept with the session (sessions.db), so a restart continues the same conversation. */
  saveState(state: Record<string, string>): void;
}

export interface CompleteOptions {
  onPartial?: (textSoFar: string) => void;
  session?: BackendSession;
}

export interface ChatBot {
  /** `messages` ends with the question; the system prompt and the history before it. */
  complete(messages: ChatMessage[], options?: CompleteOptions): Promise<Completion>;
  /** #清除记忆 for a backend that keeps the conversation (Dify): it is deleted there too. */
  forget?(session: Pick<BackendSession, 'user' | 'state'>): Promise<void>;
}
