import type OpenAI from 'openai';
import { toFile } from 'openai';
import { createOpenAIClient, type OpenAIConnection } from '../backends/openai/client.js';
import { endpointMissing } from '../backends/openai/endpoint-not-found.js';
import type { CoreConfig } from '../config/schema.js';
import type { EngineDeps, WavTranscriber } from './media-engines.js';
import { mediaMessages } from './media-messages.js';

/** voice_to_text "openai": the server at open_ai_api_base, with voice_to_text_model. */
export function createTranscriber(
  config: OpenAIConnection & Pick<CoreConfig, 'voice_to_text_model' | 'speech_recognition_language'>,
  deps: EngineDeps,
): WavTranscriber {
  return openAITranscriber(createOpenAIClient(config, deps.logger), config.voice_to_text_model, config.speech_recognition_language);
}

/**
 * The transcriptions endpoint of any OpenAI-compatible server (OpenAI, a local whisper server).
 * `language` is a BCP 47 tag like "zh-CN"; the API wants the ISO 639-1 part ("zh").
 */
export function openAITranscriber(client: OpenAI, model: string, language: string): WavTranscriber {
  const iso639 = language.split(/[-_]/)[0]?.toLowerCase();
  return async (wav) => {
    try {
      const result = await client.audio.transcriptions.create({
        file: await toFile(wav, 'voice.wav', { type: 'audio/wav' }),
        model,
        ...(iso639 ? { language: iso639 } : {}),
      });
      return result.text ?? '';
    } catch (error) {
      throw (
        endpointMissing(error, {
          baseURL: client.baseURL,
          path: '/audio/transcriptions',
          what: 'speech recognition (/audio/transcriptions)',
          turnOff: 'set speech_recognition and group_speech_recognition to false, or voice_to_text to "azure"',
          userMessage: mediaMessages.speechUnavailable,
        }) ?? error
      );
    }
  };
}
