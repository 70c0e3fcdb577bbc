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
