/** AMR-NB storage format (RFC 4867 §5): a magic line, then frames of 20 ms each. */
export const AMR_HEADER = Buffer.from('#!AMR\n', 'latin1');
export const AMR_FRAMES_PER_SECOND = 50;

/** Frame size in bytes (ToC byte included) by frame type, RFC 4867 §5.3 / 3GPP TS 26.101. */
const FRAME_BYTES = [13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1];

/** The byte offset of each frame after the header; throws on a file that is not AMR-NB. */
export function amrFrameOffsets(amr: Buffer): number[] {
  if (!amr.subarray(0, AMR_HEADER.length).equals(AMR_HEADER)) throw new Error('not an AMR-NB file (no "#!AMR" header)');
  const offsets: number[] = [];
  let at = AMR_HEADER.length;
  while (at < amr.length) {
    const size = FRAME_BYTES[(amr[at]! >> 3) & 0x0f]!;
    if (at + size > amr.length) throw new Error(`truncated AMR frame at byte ${at}`);
    offsets.push(at);
    at += size;
  }
  return offsets;
}

export function amrDurationSeconds(amr: Buffer): number {
  return amrFrameOffsets(amr).length / AMR_FRAMES_PER_SECOND;
}

/**
 * Cuts an AMR-NB file at frame boundaries into standalone files (each with the header) of at most
 * `maxSeconds` and `maxBytes`: no re-encoding, so the parts play back to back without a gap.
 */
export function splitAmr(amr: Buffer, maxSeconds: number, maxBytes: number): Buffer[] {
  const offsets = amrFrameOffsets(amr);
  const maxFrames = Math.floor(maxSeconds * AMR_FRAMES_PER_SECOND);
  const parts: Buffer[] = [];
  let start = 0;
  while (start < offsets.length) {
    let end = start;
    while (end < offsets.length && end - start < maxFrames) {
      const partEnd = offsets[end + 1] ?? amr.length;
      if (AMR_HEADER.length + partEnd - offsets[start]! > maxBytes && end > start) break;
      end++;
    }
    const bodyEnd = offsets[end] ?? amr.length;
    parts.push(Buffer.concat([AMR_HEADER, amr.subarray(offsets[start]!, bodyEnd)]));
    start = end;
  }
  return parts;
}
