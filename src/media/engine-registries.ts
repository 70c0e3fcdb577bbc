import { createRegistry } from '../registries.js';
import type { SYNTHESIZER_NAMES, TRANSCRIBER_NAMES } from './engine-names.js';
import type { ImageEngineModule, SynthesizerModule, TranscriberModule } from './media-engines.js';

/** voice_to_text → engine, imported only when speech recognition is on. */
export const transcribers = createRegistry<TranscriberModule, (typeof TRANSCRIBER_NAMES)[number]>({
  openai: () => import('./openai-transcriber.js'),
  azure: () => import('./azure-transcriber.js'),
});

/** text_to_voice → engine, imported only when voice replies are on. */
export const synthesizers = createRegistry<SynthesizerModule, (typeof SYNTHESIZER_NAMES)[number]>({
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
