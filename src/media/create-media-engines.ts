import type OpenAI from 'openai';
import type { CoreConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { createSdkRecognizer, createSdkSpeaker } from './azure-sdk.js';
import { azureCredentials, azureTranscriber, azureVoiceName, AzureSynthesizer } from './azure-speech.js';
import type { ImageGenerator, SpeechRecognizer, SpeechSynthesizer } from './media-engines.js';
import { OpenAIImageGenerator } from './openai-image-generator.js';
import { OpenAISynthesizer } from './openai-synthesizer.js';
import { openAITranscriber } from './openai-transcriber.js';
import { WavSpeechRecognizer } from './wav-speech-recognizer.js';

export interface MediaEngines {
  speech?: SpeechRecognizer;
  synthesizer?: SpeechSynthesizer;
  images?: ImageGenerator;
}

/**
 * Builds the voice and image engines the config asks for. Engines that no setting turns on are
 * not built, so their credentials are only required when used (a ConfigError at start-up).
 */
export function createMediaEngines(config: CoreConfig, client: OpenAI, logger: Logger): MediaEngines {
  const engines: MediaEngines = {
    images: new OpenAIImageGenerator({
      client,
      model: config.text_to_image,
      size: config.image_size,
      ffmpegPath: config.ffmpeg_path,
      timeoutMs: config.request_timeout * 1000,
      ...(config.proxy ? { proxy: config.proxy } : {}),
      logger,
    }),
  };
  if (config.speech_recognition || config.group_speech_recognition) {
    const transcribe =
      config.voice_to_text === 'azure'
        ? azureTranscriber(createSdkRecognizer(azureCredentials(config, 'voice_to_text'), config.speech_recognition_language))
        : openAITranscriber(client, config.voice_to_text_model, config.speech_recognition_language);
    engines.speech = new WavSpeechRecognizer({ engine: config.voice_to_text, ffmpegPath: config.ffmpeg_path, transcribe, logger });
  }
  if (config.voice_reply_voice || config.always_reply_voice) {
    engines.synthesizer =
      config.text_to_voice === 'azure'
        ? new AzureSynthesizer(createSdkSpeaker(azureCredentials(config, 'text_to_voice'), azureVoiceName(config.tts_voice_id)))
        : new OpenAISynthesizer({ client, model: config.text_to_voice_model, voice: config.tts_voice_id });
  }
  return engines;
}
