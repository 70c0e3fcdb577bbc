import type { CoreConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';

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

/** A recognition service: 16 kHz mono WAV in, the transcript out ("" when nothing was heard). */
export type WavTranscriber = (wav: Buffer) => Promise<string>;

/** The keys of one assistant, as for backends (backend-module.ts). */
export type EngineConfig = CoreConfig;

export interface EngineDeps {
  logger: Logger;
}

/** A speech recognition service; WavSpeechRecognizer adds the conversion to WAV and the user's sentences. */
export interface TranscriberModule {
  createTranscriber(config: EngineConfig, deps: EngineDeps): WavTranscriber;
}

export interface SynthesizerModule {
  createSynthesizer(config: EngineConfig, deps: EngineDeps): SpeechSynthesizer;
}

export interface ImageEngineModule {
  createImageGenerator(config: EngineConfig, deps: EngineDeps): ImageGenerator;
}
