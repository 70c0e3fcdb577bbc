import { ConfigError, describeFound } from '../config/config-error.js';
import type { CoreConfig } from '../config/schema.js';

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
export function azureCredentials(
  config: Pick<CoreConfig, 'azure_voice_api_key' | 'azure_voice_region'>,
  neededBy: string,
): AzureCredentials {
  if (!config.azure_voice_api_key.trim()) {
    throw new ConfigError(
      'azure_voice_api_key',
      `an Azure Speech key (${neededBy} is "azure")`,
      describeFound(config.azure_voice_api_key, true),
    );
  }
  if (!config.azure_voice_region.trim()) {
    throw new ConfigError(
      'azure_voice_region',
      `the Azure Speech region, e.g. "eastasia" (${neededBy} is "azure")`,
      describeFound(config.azure_voice_region),
    );
  }
  return { key: config.azure_voice_api_key.trim(), region: config.azure_voice_region.trim() };
}
