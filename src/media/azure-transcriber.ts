import type { CoreConfig } from '../config/schema.js';
import { createSdkRecognizer } from './azure-sdk.js';
import { type AzureRecognizer, azureCredentials } from './azure-speech.js';
import type { WavTranscriber } from './media-engines.js';

/** voice_to_text "azure": Azure Speech, in speech_recognition_language. */
export function createTranscriber(
  config: Pick<CoreConfig, 'azure_voice_api_key' | 'azure_voice_region' | 'speech_recognition_language'>,
): WavTranscriber {
  return azureTranscriber(createSdkRecognizer(azureCredentials(config, 'voice_to_text'), config.speech_recognition_language));
}

export function azureTranscriber(recognizer: AzureRecognizer): WavTranscriber {
  return async (wav) => {
    const result = await recognizer.recognize(wav);
    if (result.reason === 'canceled') throw new Error(`Azure recognition canceled: ${result.errorDetails || 'no details'}`);
    return result.reason === 'recognized' ? result.text : '';
  };
}
