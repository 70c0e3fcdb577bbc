import type { CoreConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { imageEngineNamed, imageEngines, synthesizers, transcribers } from './engine-registries.js';
import type { ImageGenerator, SpeechRecognizer, SpeechSynthesizer } from './media-engines.js';
import { WavSpeechRecognizer } from './wav-speech-recognizer.js';

export interface MediaEngines {
  speech?: SpeechRecognizer;
  synthesizer?: SpeechSynthesizer;
  images?: ImageGenerator;
}

/**
 * Builds the voice and image engines the config asks for, each from its registry. Engines that no
 * setting turns on are neither loaded nor built, so their credentials are only required when used
 * (a ConfigError at start-up).
 */
export async function createMediaEngines(config: CoreConfig, logger: Logger): Promise<MediaEngines> {
  const deps = { logger };
  const engines: MediaEngines = {
    images: (await imageEngines.load(imageEngineNamed(config.text_to_image))).createImageGenerator(config, deps),
  };
  if (config.speech_recognition || config.group_speech_recognition) {
    const transcribe = (await transcribers.load(config.voice_to_text)).createTranscriber(config, deps);
    engines.speech = new WavSpeechRecognizer({ engine: config.voice_to_text, ffmpegPath: config.ffmpeg_path, transcribe, logger });
  }
  if (config.voice_reply_voice || config.always_reply_voice) {
    engines.synthesizer = (await synthesizers.load(config.text_to_voice)).createSynthesizer(config, deps);
  }
  return engines;
}
