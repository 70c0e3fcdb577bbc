/**
 * Splits text into parts of at most `maxBytes` UTF-8 bytes, never inside a character (code point),
 * preferring a line break, then a space, in the last part of the window. Order is kept.
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (maxBytes < 4) throw new RangeError('maxBytes must fit one UTF-8 character (4 bytes)');
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text === '' ? [] : [text];
  const parts: string[] = [];
  let rest = text;
  while (Buffer.byteLength(rest, 'utf8') > maxBytes) {
    const end = fittingPrefixLength(rest, maxBytes);
    const cut = preferredCut(rest, end);
    parts.push(rest.slice(0, cut).replace(/\s+$/, '') || rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n+/, '');
  }
  if (rest !== '') parts.push(rest);
  return parts;
}

/** Longest prefix (in UTF-16 units, on a code point boundary) whose UTF-8 size is ≤ maxBytes. */
function fittingPrefixLength(text: string, maxBytes: number): number {
  let bytes = 0;
  let index = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    index += char.length;
  }
  return index;
}

/** A line break (or else a space) in the second half of the window, so parts stay reasonably full. */
function preferredCut(text: string, end: number): number {
  const window = text.slice(0, end);
  const floor = Math.floor(end / 2);
  const newline = window.lastIndexOf('\n');
  if (newline >= floor) return newline + 1;
  const space = window.lastIndexOf(' ');
  if (space >= floor) return space + 1;
  return end;
}
