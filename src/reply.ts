/** What the pipeline hands a channel to deliver. */
export type Reply =
  | { type: 'text'; text: string }
  /** A problem the user should know about, in one short sentence (never a stack trace). */
  | { type: 'error'; text: string }
  | { type: 'image'; data: Buffer; mimeType: string }
  /** `text`: what the voice says, for a channel that cannot deliver the audio to fall back on. */
  | { type: 'voice'; data: Buffer; format: 'amr' | 'mp3' | 'wav' | 'ogg'; text?: string }
  | { type: 'file'; data: Buffer; fileName: string };
