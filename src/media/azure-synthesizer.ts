import type { CoreConfig } from '../config/schema.js';
import { createSdkSpeaker } from './azure-sdk.js';
import { type AzureSpeaker, azureCredentials } from './azure-speech.js';
import type { SpeechSynthesizer, SynthesizedSpeech } from './media-engines.js';

/** text_to_voice "azure": Azure Speech, in the voice tts_voice_id names. */
export function createSynthesizer(
  config: Pick<CoreConfig, 'azure_voice_api_key' | 'azure_voice_region' | 'tts_voice_id'>,
): SpeechSynthesizer {
  return new AzureSynthesizer(createSdkSpeaker(azureCredentials(config, 'text_to_voice'), azureVoiceName(config.tts_voice_id)));
}

/** Azure voices are named like "zh-CN-XiaoxiaoNeural"; OpenAI's ("alloy", the default) are not. */
export function azureVoiceName(ttsVoiceId: string): string {
  return /^[a-z]{2,3}-[A-Z]{2,4}-\w+/.test(ttsVoiceId) ? ttsVoiceId : 'zh-CN-XiaoxiaoNeural';
}

export class AzureSynthesizer implements SpeechSynthesizer {
  constructor(private readonly speaker: AzureSpeaker) {}

  async synthesize(text: string): Promise<SynthesizedSpeech> {
    const result = await this.speaker.speak(text);
    if (result.reason === 'canceled') throw new Error(`Azure synthesis canceled: ${result.errorDetails || 'no details'}`);
    if (result.audio.length === 0) throw new Error('Azure synthesis returned no audio');
    return { data: result.audio, format: 'wav' };
  }
}
