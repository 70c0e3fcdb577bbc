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

/**
 * Turns an LLM's markdown into readable plain text for WeCom text messages (personal WeChat cannot
 * show markdown messages). Keeps code content and list structure; drops only the markup.
 */
export function markdownToText(markdown: string): string {
  const lines = markdown.replace(/\r\n/g, '\n').split('\n');
  const out: string[] = [];
  let inFence = false;
  for (const line of lines) {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) {
      out.push(line);
      continue;
    }
    out.push(inline(block(line)));
  }
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function block(line: string): string {
  if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) return '────────';
  if (/^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line)) return ''; // table rule
  return line
    .replace(/^(\s*)#{1,6}\s+/, '$1') // headings
    .replace(/^(\s*)>\s?/, '$1') // quotes
    .replace(/^(\s*)[-*+]\s+\[( |x|X)\]\s+/, (_m, indent: string, box: string) => `${indent}${box === ' ' ? '☐' : '☑'} `)
    .replace(/^(\s*)[-*+]\s+/, '$1• ') // bullets
    .replace(/^\s*\|(.*)\|\s*$/, (_m, cells: string) =>
      cells
        .split('|')
        .map((cell) => cell.trim())
        .join('  '),
    ); // table rows
}

function inline(line: string): string {
  return line
    .replace(/!\[([^\]]*)\]\(([^)\s]+)[^)]*\)/g, (_m, alt: string, url: string) => (alt ? `${alt} ${url}` : url)) // images
    .replace(/\[([^\]]+)\]\(([^)\s]+)[^)]*\)/g, (_m, text: string, url: string) => (text === url ? url : `${text} (${url})`)) // links
    .replace(/`([^`]+)`/g, '$1')
    .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    .replace(/(^|[^*\w])\*(?=\S)([^*]+?)(?<=\S)\*(?!\*)/g, '$1$2')
    .replace(/(^|[^_\w])_(?=\S)([^_]+?)(?<=\S)_(?![_\w])/g, '$1$2')
    .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, '$1');
}
