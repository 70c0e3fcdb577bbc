import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AMR_HEADER, amrDurationSeconds, splitAmr } from '../../../src/media/amr-frames.js';
import { probeAudio, tone } from './media-fixtures.js';

describe('splitAmr', () => {
  test('cuts 130 s of AMR into 60 + 60 + 10 s parts that each decode on their own', () => {
    const amr = tone(130, 'amr');
    const total = amrDurationSeconds(amr);
    assert.ok(Math.abs(total - 130) < 0.1, `the encoder made ${total} s`);
    const parts = splitAmr(amr, 60, 2 * 1024 * 1024);
    assert.deepEqual(parts.map(amrDurationSeconds), [60, 60, Math.round((total - 120) * 50) / 50]);
    for (const part of parts) {
      assert.ok(part.subarray(0, 6).equals(AMR_HEADER));
      const probed = probeAudio(part);
      assert.equal(probed.codec, 'amr_nb');
      assert.ok(probed.seconds <= 60.05, `part plays ${probed.seconds} s`);
    }
    assert.equal(
      parts.reduce((sum, part) => sum + part.length - AMR_HEADER.length, 0),
      amr.length - AMR_HEADER.length,
      'no frame lost or repeated',
    );
  });

  test('a short file stays one part, unchanged', () => {
    const amr = tone(2, 'amr');
    assert.deepEqual(splitAmr(amr, 60, 2 * 1024 * 1024), [amr]);
  });

  test('the byte limit cuts too, at frame boundaries', () => {
    const amr = tone(2, 'amr'); // 101 frames (one of encoder delay) of 32 bytes at 12.2 kbit/s
    const parts = splitAmr(amr, 60, 6 + 32 * 30);
    assert.deepEqual(
      parts.map((part) => part.length),
      [966, 966, 966, 6 + 32 * 11],
    );
    assert.ok(parts.every((part) => part.length <= 6 + 32 * 30));
  });

  test('refuses what is not AMR-NB, and a truncated last frame', () => {
    assert.throws(() => splitAmr(Buffer.from('RIFF....WAVE'), 60, 1000), /not an AMR-NB file/);
    const amr = tone(1, 'amr');
    assert.throws(() => splitAmr(amr.subarray(0, amr.length - 5), 60, 1_000_000), /truncated AMR frame/);
  });
});
