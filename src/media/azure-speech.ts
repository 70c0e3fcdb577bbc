import { ConfigError, describeFound } from '../config/config-error.js';
import type { CoreConfig } from '../config/schema.js';
import type { SpeechSynthesizer, SynthesizedSpeech } from './media-engines.js';
import type { WavTranscriber } from './wav-speech-recognizer.js';

/** The Azure Speech SDK's recognizer, reduced to what the engine needs (a fake in tests). */
export interface AzureRecognizer {
  recognize(wav: Buffer): Promise<AzureRecognition>;
}

export interface AzureRecognition {
  reason: 'recognized' | 'no_match' | 'canceled';
  text: string;
  errorDetails?: string;
}

/** The Azure Speech SDK's synthesizer, reduced the same way. */
export interface AzureSpeaker {
  speak(text: string): Promise<AzureSynthesis>;
}

export interface AzureSynthesis {
  reason: 'completed' | 'canceled';
  /** 16 kHz mono WAV. */
  audio: Buffer;
  errorDetails?: string;
}

export interface AzureCredentials {
  key: string;
  region: string;
}

/** Azure credentials, or a ConfigError naming the missing key and the setting that needs it. */
export function azureCredentials(config: Pick<CoreConfig, 'azure_voice_api_key' | 'azure_voice_region'>, neededBy: string): AzureCredentials {
  if (!config.azure_voice_api_key.trim()) {
    throw new ConfigError('azure_voice_api_key', `an Azure Speech key (${neededBy} is "azure")`, describeFound(config.azure_voice_api_key, true));
  }
  if (!config.azure_voice_region.trim()) {
    throw new ConfigError('azure_voice_region', `the Azure Speech region, e.g. "eastasia" (${neededBy} is "azure")`, describeFound(config.azure_voice_region));
  }
  return { key: config.azure_voice_api_key.trim(), region: config.azure_voice_region.trim() };
}

/** Azure voices are named like "zh-CN-XiaoxiaoNeural"; OpenAI's ("alloy", the default) are not. */
export function azureVoiceName(ttsVoiceId: string): string {
  return /^[a-z]{2,3}-[A-Z]{2,4}-\w+/.test(ttsVoiceId) ? ttsVoiceId : 'zh-CN-XiaoxiaoNeural';
}

export function azureTranscriber(recognizer: AzureRecognizer): WavTranscriber {
  return async (wav) => {
    const result = await recognizer.recognize(wav);
    if (result.reason === 'canceled') throw new Error(`Azure recognition canceled: ${result.errorDetails || 'no details'}`);
    return result.reason === 'recognized' ? result.text : '';
  };
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
