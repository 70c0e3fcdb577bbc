import type { CoreConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { createRegistry } from '../registries.js';
import type { ImageGenerator, SpeechSynthesizer } from './media-engines.js';
import type { WavTranscriber } from './wav-speech-recognizer.js';

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

/** voice_to_text → engine, imported only when speech recognition is on. */
export const transcribers = createRegistry<TranscriberModule>({
  openai: () => import('./openai-transcriber.js'),
  azure: () => import('./azure-transcriber.js'),
});

/** text_to_voice → engine, imported only when voice replies are on. */
export const synthesizers = createRegistry<SynthesizerModule>({
  openai: () => import('./openai-synthesizer.js'),
  azure: () => import('./azure-synthesizer.js'),
});

/** Image engines by name; see imageEngineNamed. */
export const imageEngines = createRegistry<ImageEngineModule>({
  openai: () => import('./openai-image-generator.js'),
});

/** text_to_image is a model of the OpenAI-compatible images endpoint (dall-e-3, gpt-image-1...) unless it names an engine. */
export function imageEngineNamed(textToImage: string): string {
  return imageEngines.names.includes(textToImage) ? textToImage : 'openai';
}
