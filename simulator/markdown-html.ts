/**
 * The little markdown WeCom shows (bold, code, lists, quotes, links, <font color>), as HTML for
 * the simulator page. Everything is escaped first; only fixed tags and http(s) links are added
 * back, so a reply (written by an LLM, i.e. by whoever prompts it) cannot inject markup.
 */
export function markdownToHtml(markdown: string): string {
  const out: string[] = [];
  let paragraph: string[] = [];
  let list: { tag: 'ul' | 'ol'; items: string[] } | undefined;
  const flush = () => {
    if (paragraph.length > 0) out.push(`<p>${paragraph.join('<br>')}</p>`);
    paragraph = [];
    if (list) out.push(`<${list.tag}>${list.items.map((item) => `<li>${item}</li>`).join('')}</${list.tag}>`);
    list = undefined;
  };
  const addItem = (tag: 'ul' | 'ol', text: string) => {
    if (paragraph.length > 0 || (list && list.tag !== tag)) flush();
    list ??= { tag, items: [] };
    list.items.push(inline(text));
  };

  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*```/.test(line)) {
      flush();
      const code: string[] = [];
      while (++i < lines.length && !/^\s*```/.test(lines[i]!)) code.push(lines[i]!);
      out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    const quote = /^\s*>\s?(.*)$/.exec(line);
    if (heading) {
      flush();
      const level = Math.min(heading[1]!.length + 2, 6);
      out.push(`<h${level}>${inline(heading[2]!)}</h${level}>`);
    } else if (bullet) {
      addItem('ul', bullet[1]!);
    } else if (numbered) {
      addItem('ol', numbered[1]!);
    } else if (quote) {
      flush();
      out.push(`<blockquote>${inline(quote[1]!)}</blockquote>`);
    } else if (line.trim() === '') {
      flush();
    } else {
      if (list) flush();
      paragraph.push(inline(line));
    }
  }
  flush();
  return out.join('');
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Code spans first, so their content is shown as written rather than formatted. */
function inline(text: string): string {
  return text
    .split(/(`[^`]+`)/)
    .map((part) =>
      part.length > 1 && part.startsWith('`') && part.endsWith('`')
        ? `<code>${escapeHtml(part.slice(1, -1))}</code>`
        : formatted(escapeHtml(part)),
    )
    .join('');
}

/** Runs on escaped text: the patterns match the escaped forms (&quot;, &lt;...). */
function formatted(escaped: string): string {
  return (
    escaped
      .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>')
      .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
      .replace(/~~(.+?)~~/g, '<del>$1</del>')
      .replace(/(^|[^*\w])\*([^*\s](?:[^*]*[^*\s])?)\*(?![*\w])/g, '$1<em>$2</em>')
      // WeCom markdown's only colours (info green, comment grey, warning orange).
      .replace(/&lt;font color=&quot;(info|comment|warning)&quot;&gt;(.*?)&lt;\/font&gt;/g, '<span class="md-$1">$2</span>')
  );
}
