import type OpenAI from 'openai';
import { toFile } from 'openai';
import type { WavTranscriber } from './wav-speech-recognizer.js';

/**
 * The transcriptions endpoint of any OpenAI-compatible server (OpenAI, a local whisper server).
 * `language` is a BCP 47 tag like "zh-CN"; the API wants the ISO 639-1 part ("zh").
 */
export function openAITranscriber(client: OpenAI, model: string, language: string): WavTranscriber {
  const iso639 = language.split(/[-_]/)[0]?.toLowerCase();
  return async (wav) => {
    const result = await client.audio.transcriptions.create({
      file: await toFile(wav, 'voice.wav', { type: 'audio/wav' }),
      model,
      ...(iso639 ? { language: iso639 } : {}),
    });
    return result.text ?? '';
  };
}
