import type OpenAI from 'openai';
import { createOpenAIClient, type OpenAIConnection } from '../backends/openai/client.js';
import { endpointMissing } from '../backends/openai/endpoint-not-found.js';
import type { CoreConfig } from '../config/schema.js';
import { sniffAudioFormat } from './audio-codec.js';
import type { EngineDeps, SpeechSynthesizer, SynthesizedSpeech } from './media-engines.js';

/** text_to_voice "openai": the server at open_ai_api_base, with text_to_voice_model and tts_voice_id. */
export function createSynthesizer(
  config: OpenAIConnection & Pick<CoreConfig, 'text_to_voice_model' | 'tts_voice_id'>,
  deps: EngineDeps,
): SpeechSynthesizer {
  return new OpenAISynthesizer({
    client: createOpenAIClient(config, deps.logger),
    model: config.text_to_voice_model,
    voice: config.tts_voice_id,
  });
}

/** The speech endpoint of any OpenAI-compatible server; the channel converts the audio to its format. */
export class OpenAISynthesizer implements SpeechSynthesizer {
  constructor(private readonly options: { client: OpenAI; model: string; voice: string }) {}

  async synthesize(text: string): Promise<SynthesizedSpeech> {
    const { client } = this.options;
    let response: Response;
    try {
      response = await client.audio.speech.create({
        model: this.options.model,
        voice: this.options.voice,
        input: text,
        response_format: 'mp3',
      });
    } catch (error) {
      const turnOff = 'set voice_reply_voice and always_reply_voice to false, or text_to_voice to "azure"';
      const missing = endpointMissing(error, {
        baseURL: client.baseURL,
        path: '/audio/speech',
        what: 'text-to-speech (/audio/speech)',
        turnOff,
        userMessage: '',
      });
      // The pipeline answers with text instead and logs this message.
      throw missing ? new Error(missing.explanation, { cause: error }) : error;
    }
    const data = Buffer.from(await response.arrayBuffer());
    // Compatible servers may ignore response_format, so the bytes decide.
    const format = sniffAudioFormat(data);
    if (!format) throw new Error(`speech endpoint answered ${data.length} bytes that are not mp3, wav, ogg or amr`);
    return { data, format };
  }
}
