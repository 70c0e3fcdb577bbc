import type { ChatBot } from '../chat-bot.js';

/**
 * `bot_type: "none"`: no LLM. The intake records and forwards every message (forward.url) and gives
 * none to the pipeline, so weworktop is a pure WeCom ↔ HTTP bridge (with the push API to answer).
 * A message a run with an LLM left pending is settled without an answer.
 */
export async function createBot(): Promise<ChatBot> {
  return {
    complete: async () => {
      throw Object.assign(new Error('bot_type is "none": no LLM answers'), { transient: false });
    },
  };
}
