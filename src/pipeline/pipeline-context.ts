import type { NormalizedMessage } from '../message.js';

/** What the pipeline decided about a message: CoW's Context, typed. */
export interface PipelineContext {
  /** text: ask the LLM; image_create: make an image; other: a non-text message (image, file, event...). */
  type: 'text' | 'image_create' | 'other';
  /** The content after trigger prefixes are stripped (the transcript for voice). */
  content: string;
  message: NormalizedMessage;
  sessionId: string;
  isGroup: boolean;
  /** The content came from a voice note. */
  fromVoice: boolean;
  /** Answer with voice (voice_reply_voice / always_reply_voice) when the channel can. */
  wantsVoice: boolean;
  /** What was heard, echoed before a text answer (voice_echo_transcript); a voice answer speaks only the answer. */
  heard?: string;
}
