import type { CoreConfig } from '../config/schema.js';
import { toAmr, toWav16kMono } from '../media/audio-codec.js';
import { type DoctorCheck, fail, pass, skip } from './doctor-check.js';

type VoiceKeys = Pick<
  CoreConfig,
  'ffmpeg_path' | 'speech_recognition' | 'group_speech_recognition' | 'voice_reply_voice' | 'always_reply_voice'
>;

/** ffmpeg runs and both converts to AMR (voice replies) and decodes AMR (voice notes), when voice is on. */
export function ffmpegCheck(config: VoiceKeys): DoctorCheck {
  return {
    name: 'ffmpeg',
    async run() {
      const on = (['speech_recognition', 'group_speech_recognition', 'voice_reply_voice', 'always_reply_voice'] as const).filter(
        (key) => config[key],
      );
      if (on.length === 0) return skip('voice is off (speech_recognition, voice_reply_voice...): ffmpeg is not needed');
      const which = config.ffmpeg_path || 'the ffmpeg of @ffmpeg-installer';
      try {
        const amr = await toAmr(config.ffmpeg_path, silence(0.5));
        const wav = await toWav16kMono(config.ffmpeg_path, amr);
        return pass(`${which} encodes and decodes AMR (${amr.length} bytes of AMR → ${wav.length} bytes of WAV)`);
      } catch (error) {
        return fail(
          `${which} cannot convert voice (${on.join(', ')} on): ${(error as Error).message}`,
          'set ffmpeg_path to an ffmpeg built with AMR-NB (libopencore_amrnb), or turn voice off',
        );
      }
    },
  };
}

/** A WAV of silence, 8 kHz mono 16-bit. */
function silence(seconds: number): Buffer {
  const bytes = Math.round(seconds * 8000) * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + bytes, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(bytes, 40);
  return Buffer.concat([header, Buffer.alloc(bytes)]);
}
