import type OpenAI from 'openai';
import { sniffAudioFormat } from './audio-codec.js';
import type { SpeechSynthesizer, SynthesizedSpeech } from './media-engines.js';

/** The speech endpoint of any OpenAI-compatible server; the channel converts the audio to its format. */
export class OpenAISynthesizer implements SpeechSynthesizer {
  constructor(private readonly options: { client: OpenAI; model: string; voice: string }) {}

  async synthesize(text: string): Promise<SynthesizedSpeech> {
    const response = await this.options.client.audio.speech.create({ model: this.options.model, voice: this.options.voice, input: text, response_format: 'mp3' });
    const data = Buffer.from(await response.arrayBuffer());
    // Compatible servers may ignore response_format, so the bytes decide.
    const format = sniffAudioFormat(data);
    if (!format) throw new Error(`speech endpoint answered ${data.length} bytes that are not mp3, wav, ogg or amr`);
    return { data, format };
  }
}
