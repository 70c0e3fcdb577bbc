/** Media services the pipeline uses when configured; create-media-engines.ts builds them from the config. */
export interface SpeechRecognizer {
  /** Transcribes audio in the platform's format (e.g. "amr"); throws UserFacingError. */
  transcribe(audio: Buffer, format: string): Promise<string>;
}

export interface SynthesizedSpeech {
  data: Buffer;
  format: 'mp3' | 'wav' | 'amr' | 'ogg';
}

export interface SpeechSynthesizer {
  synthesize(text: string): Promise<SynthesizedSpeech>;
}

export interface GeneratedImage {
  data: Buffer;
  mimeType: string;
}

export interface ImageGenerator {
  generate(prompt: string): Promise<GeneratedImage>;
}
