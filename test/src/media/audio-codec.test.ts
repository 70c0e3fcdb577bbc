import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { amrDurationSeconds } from '../../../src/media/amr-frames.js';
import { createAmrEncoder, sniffAudioFormat, toWav16kMono } from '../../../src/media/audio-codec.js';
import { FfmpegError, runFfmpeg } from '../../../src/media/ffmpeg.js';
import { FFMPEG, probeAudio, tone } from './media-fixtures.js';

describe('toWav16kMono', () => {
  test('WeCom AMR becomes 16 kHz mono 16-bit WAV of the same length, with real header sizes', async () => {
    const wav = await toWav16kMono('', tone(2, 'amr'));
    const probed = probeAudio(wav);
    assert.deepEqual([probed.container, probed.codec, probed.sampleRate, probed.channels], ['wav', 'pcm_s16le', 16000, 'mono']);
    assert.ok(Math.abs(probed.seconds - 2) < 0.1, `${probed.seconds} s`);
    assert.equal(wav.readUInt32LE(4), wav.length - 8, 'RIFF size');
    const data = wav.indexOf('data', 12, 'latin1');
    assert.equal(wav.readUInt32LE(data + 4), wav.length - data - 8, 'data chunk size');
  });

  test("garbage fails with ffmpeg's own reason", async () => {
    await assert.rejects(toWav16kMono('', Buffer.from('this is not audio at all, just some text bytes')), (error: Error) => {
      assert.ok(error instanceof FfmpegError);
      assert.match(error.message, /ffmpeg exited with 1: .*Invalid data found when processing input/s);
      return true;
    });
  });

  test('a missing ffmpeg_path says which binary and what to set', async () => {
    await assert.rejects(
      toWav16kMono('/nonexistent/ffmpeg', tone(1, 'amr')),
      /cannot run ffmpeg at \/nonexistent\/ffmpeg \(.*ENOENT.*\); set ffmpeg_path/,
    );
  });
});

describe('runFfmpeg limits', () => {
  test('output over the limit stops ffmpeg', async () => {
    const args = ['-f', 'lavfi', '-i', 'sine=duration=60', '-f', 'wav', 'pipe:1'];
    await assert.rejects(runFfmpeg(FFMPEG, args, Buffer.alloc(0), { maxOutputBytes: 100_000 }), /ffmpeg output exceeded 100000 bytes/);
  });

  test('a run past the timeout is killed', async () => {
    const started = Date.now();
    const args = ['-re', '-f', 'lavfi', '-i', 'sine=duration=30', '-f', 'wav', 'pipe:1'];
    await assert.rejects(runFfmpeg(FFMPEG, args, Buffer.alloc(0), { timeoutMs: 300 }), /ffmpeg took longer than 300 ms/);
    assert.ok(Date.now() - started < 3000);
  });
});

describe('createAmrEncoder', () => {
  const encode = createAmrEncoder('');

  for (const format of ['wav', 'mp3'] as const) {
    test(`${format} speech becomes one AMR-NB 8 kHz mono part`, async () => {
      const parts = await encode(tone(3, format), format);
      assert.equal(parts.length, 1);
      const probed = probeAudio(parts[0]!);
      assert.deepEqual([probed.codec, probed.sampleRate, probed.channels], ['amr_nb', 8000, 'mono']);
      assert.ok(Math.abs(probed.seconds - 3) < 0.15, `${probed.seconds} s`);
    });
  }

  test('130 s of speech becomes three parts of at most 60 s and 2 MB', async () => {
    const parts = await encode(tone(130, 'wav'), 'wav');
    assert.equal(parts.length, 3);
    for (const part of parts) {
      assert.ok(part.length <= 2 * 1024 * 1024);
      assert.ok(probeAudio(part).seconds <= 60.05);
    }
    assert.ok(Math.abs(parts.reduce((sum, part) => sum + amrDurationSeconds(part), 0) - 130) < 0.2);
  });

  test('AMR input is only split, not re-encoded', async () => {
    const amr = tone(2, 'amr');
    assert.deepEqual(await encode(amr, 'mp3'), [amr]);
  });
});

test('sniffAudioFormat names files by their bytes', () => {
  assert.equal(sniffAudioFormat(tone(1, 'amr')), 'amr');
  assert.equal(sniffAudioFormat(tone(1, 'wav')), 'wav');
  assert.equal(sniffAudioFormat(tone(1, 'mp3')), 'mp3');
  assert.equal(sniffAudioFormat(Buffer.from('OggS\0\x02')), 'ogg');
  assert.equal(sniffAudioFormat(Buffer.from('{"error":"nope"}')), undefined);
});
