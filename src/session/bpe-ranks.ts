import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** A BPE rank decoder as gpt-tokenizer takes it: index = rank, value = the token as text, or its bytes when it is not text. */
export type BpeRanks = Array<string | number[]>;

/** The encodings OpenAI's chat models use (gpt-3.5/gpt-4: cl100k_base; newer ones: o200k_base). */
export type EncodingName = 'o200k_base' | 'cl100k_base';

const require = createRequire(import.meta.url);
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * An encoding's whole decoder, as gpt-tokenizer's own ranks module has it (a test compares them):
 * the reference the tests hold TextRanks to. The app reads the same file with forEachBpeToken.
 */
export function readBpeRanks(encoding: EncodingName): BpeRanks {
  const ranks: BpeRanks = [];
  forEachBpeToken(encoding, (rank, bytes, text) => (ranks[rank] = text ?? Array.from(bytes)));
  return ranks;
}

/**
 * Visits each token of an encoding's `.tiktoken` file, which gpt-tokenizer ships (the format
 * OpenAI publishes: a Base64 token and its rank per line): its rank, its bytes, and its text when
 * it is text. gpt-tokenizer's own ranks module is a large JavaScript array literal, and parsing it
 * left the process larger for good (docs/performance.md, Tokenizer ranks). A token is text when its bytes are UTF-8 that
 * decodes back to the same bytes (not so for the ones starting with a BOM).
 */
export function forEachBpeToken(encoding: EncodingName, visit: (rank: number, bytes: Buffer, text: string | undefined) => void): void {
  const text = readFileSync(require.resolve(`gpt-tokenizer/data/${encoding}.tiktoken`), 'latin1');
  for (let at = 0; at < text.length; ) {
    const space = text.indexOf(' ', at);
    const newline = text.indexOf('\n', space);
    const end = newline < 0 ? text.length : newline;
    const bytes = Buffer.from(text.slice(at, space), 'base64');
    visit(Number(text.slice(space + 1, end)), bytes, asText(bytes));
    at = end + 1;
  }
}

function asText(bytes: Buffer): string | undefined {
  try {
    const text = UTF8.decode(bytes);
    return Buffer.byteLength(text) === bytes.length ? text : undefined;
  } catch {
    return undefined;
  }
}
