import { EndpointMissing } from '../backends/openai/endpoint-not-found.js';
import { isOutage } from '../backends/openai/outage.js';
import type { Logger } from '../logger.js';
import { UserFacingError } from '../user-facing-error.js';
import { toWav16kMono } from './audio-codec.js';
import type { SpeechRecognizer, WavTranscriber } from './media-engines.js';
import { mediaMessages } from './media-messages.js';

/**
 * The steps every engine shares: convert the platform's audio (WeCom: AMR) to WAV, transcribe,
 * and turn each failure into one sentence for the user and one log line with the cause.
 */
export class WavSpeechRecognizer implements SpeechRecognizer {
  private readonly log: Logger;

  constructor(private readonly options: { engine: string; ffmpegPath: string; transcribe: WavTranscriber; logger: Logger }) {
    this.log = options.logger.child({ module: `speech:${options.engine}` });
  }

  async transcribe(audio: Buffer, format: string): Promise<string> {
    let wav: Buffer;
    try {
      wav = await toWav16kMono(this.options.ffmpegPath, audio);
    } catch (error) {
      this.log.warn({ format, bytes: audio.length, err: messageOf(error) }, 'voice conversion to WAV failed');
      throw new UserFacingError(mediaMessages.voiceUnreadable, { cause: error });
    }
    let text: string;
    try {
      text = (await this.options.transcribe(wav)).trim();
    } catch (error) {
      if (error instanceof EndpointMissing) {
        this.log.warn({ engine: this.options.engine }, `speech recognition failed: ${error.explanation}`);
        throw error;
      }
      this.log.warn({ engine: this.options.engine, err: messageOf(error) }, 'speech recognition failed');
      throw new UserFacingError(mediaMessages.speechFailed, { cause: error, transient: isOutage(error) });
    }
    // The pipeline tells the user it heard nothing; the log keeps the evidence.
    if (!text) this.log.info({ engine: this.options.engine, seconds: wavSeconds(wav) }, 'speech recognition heard nothing');
    return text;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Approximate length of 16 kHz 16-bit mono audio (32000 bytes a second), for the log. */
function wavSeconds(wav: Buffer): number {
  return Math.round((wav.length / 32000) * 10) / 10;
}
