/** Case-insensitive banned-word matching; one regex built once from the escaped list. */
export class BannedWords {
  private readonly pattern: RegExp | undefined;

  constructor(words: readonly string[]) {
    const cleaned = [...new Set(words.map((word) => word.trim()).filter(Boolean))].sort((a, b) => b.length - a.length);
    this.pattern = cleaned.length ? new RegExp(cleaned.map(escapeRegExp).join('|'), 'giu') : undefined;
  }

  /** The first banned word in text, if any. */
  find(text: string): string | undefined {
    if (!this.pattern) return undefined;
    this.pattern.lastIndex = 0;
    return this.pattern.exec(text)?.[0];
  }

  mask(text: string): string {
    return this.pattern ? text.replace(this.pattern, (word) => '*'.repeat([...word].length)) : text;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
