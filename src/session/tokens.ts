import { createRequire } from 'node:module';
import type { ChatMessage } from '../backends/chat-bot.js';
import { type BpeRanks, type EncodingName, forEachBpeToken } from './bpe-ranks.js';
import type { Turn } from './turn.js';

interface Encoding {
  countTokens(text: string, options?: { disallowedSpecial?: Set<string> }): number;
  /** gpt-tokenizer's core: where it looks text tokens up (its own Map, unless replaced). */
  bytePairEncodingCoreProcessor: { bytePairStringRankEncoder: { get(text: string): number | undefined } };
}

/** "<|endoftext|>" typed by a user is plain text to the API; the tokenizer would refuse it by default. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

const require = createRequire(import.meta.url);
const { GptEncoding } = require('gpt-tokenizer/GptEncoding') as {
  GptEncoding: { getEncodingApi(name: EncodingName, ranks: () => BpeRanks): Encoding };
};
const encodings = new Map<EncodingName, Encoding>();

/**
 * One tokenizer per encoding for the whole process, loaded on first use (only the one the model
 * needs). gpt-tokenizer counts far faster than js-tiktoken with the same result. It is given only
 * the tokens that are not text, and looks the text ones up in a TextRanks (outside the heap)
 * instead of the Map it would build of them; it never decodes here, which would need them.
 */
function encodingFor(name: EncodingName): Encoding {
  let encoding = encodings.get(name);
  if (!encoding) {
    const ranks = TextRanks.read(name);
    encoding = GptEncoding.getEncodingApi(name, () => ranks.bytes);
    const core = encoding.bytePairEncodingCoreProcessor;
    // An internal of gpt-tokenizer 4: if a release moves it, stop here rather than miscount.
    if (!(core?.bytePairStringRankEncoder instanceof Map))
      throw new Error('gpt-tokenizer: bytePairEncodingCoreProcessor.bytePairStringRankEncoder is not where TokenCounter expects it');
    core.bytePairStringRankEncoder = ranks.text;
    encodings.set(name, encoding);
  }
  return encoding;
}

/**
 * Counts tokens with the model's real BPE (tiktoken ranks). gpt-3.5/gpt-4 use cl100k_base; newer
 * OpenAI models use o200k_base. Other vendors' models (Qwen, DeepSeek, Llama...) have their own
 * tokenizers; o200k_base is the closest widely shipped one, so budgets are approximate there.
 */
export class TokenCounter {
  private readonly encoding: Encoding;

  constructor(readonly model: string) {
    const legacy = /^(gpt-3\.5|gpt-4(?!o|\.\d)|text-embedding-ada)/.test(model);
    this.encoding = encodingFor(legacy ? 'cl100k_base' : 'o200k_base');
  }

  /**
   * BPE merging is quadratic in the length of one pre-token, and a run without spaces (a long
   * word, a paragraph of Chinese, "xxxx...") is one pre-token, so one call could take minutes
   * (docs/performance.md, Tokenizer ranks). Long text is counted in pieces cut at whitespace where there is some, so the
   * cost stays linear; a forced cut inside a run may be off by a token per CHUNK_CHARS.
   */
  count(text: string): number {
    let total = 0;
    for (let start = 0; start < text.length; ) {
      const end = chunkEnd(text, start);
      total += this.encoding.countTokens(text.slice(start, end), PLAIN_TEXT);
      start = end;
    }
    return total;
  }

  /** One message's cost in a chat request: its content plus the per-message framing (OpenAI cookbook). */
  countMessage(message: ChatMessage): number {
    const content =
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
    // Each image costs at least the low-detail 85 tokens.
    const images = typeof message.content === 'string' ? 0 : message.content.filter((part) => part.type === 'image_url').length;
    return TOKENS_PER_MESSAGE + this.count(content) + images * 85;
  }
}

const TOKENS_PER_MESSAGE = 3;
const CHUNK_CHARS = 64;

/** Where the piece starting at `start` ends: before the last whitespace in reach, else a hard cut that keeps surrogate pairs whole. */
function chunkEnd(text: string, start: number): number {
  const limit = start + CHUNK_CHARS;
  if (limit >= text.length) return text.length;
  for (let i = limit; i > start + CHUNK_CHARS / 2; i--) if (/\s/.test(text[i]!)) return i;
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit + 1 : limit;
}
/** Every reply is primed with <|start|>assistant<|message|>. */
export const REPLY_PRIMING_TOKENS = 3;

export interface FittedPrompt {
  /** History turns that fit, oldest first. */
  kept: Turn[];
  /** How many of the oldest turns had to go. */
  dropped: number;
  totalTokens: number;
}

/**
 * Drops the oldest non-system turns until system + history + the new message fit maxTokens
 * (CoW's discard_exceeding, done on cached counts so no text is re-tokenized per message).
 */
export function fitHistory(system: Turn | undefined, history: readonly Turn[], next: Turn, maxTokens: number): FittedPrompt {
  const fixed = (system?.tokens ?? 0) + next.tokens + REPLY_PRIMING_TOKENS;
  let total = fixed + history.reduce((sum, turn) => sum + turn.tokens, 0);
  let dropped = 0;
  while (dropped < history.length && total > maxTokens) {
    total -= history[dropped]!.tokens;
    dropped += 1;
  }
  return { kept: history.slice(dropped), dropped, totalTokens: total };
}

/**
 * The ranks of an encoding's text tokens, looked up as gpt-tokenizer looks up the Map<string,
 * number> it builds for them (`get`), but held in typed arrays outside the heap, where no full GC
 * has to mark them (docs/performance.md, Tokenizer ranks). An open-addressing table of ranks,
 * hashed with FNV-1a over the UTF-16 code units; each token's text is kept as code units in one
 * array.
 */
export class TextRanks {
  private constructor(
    private readonly units: Uint16Array,
    private readonly starts: Uint32Array,
    private readonly lengths: Uint16Array,
    /** rank + 1, 0 for an empty slot; a power of two long. */
    private readonly slots: Int32Array,
  ) {}

  get(text: string): number | undefined {
    const mask = this.slots.length - 1;
    for (let slot = hash(text) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) return undefined;
      if (this.holds(entry - 1, text)) return entry - 1;
    }
  }

  private holds(rank: number, text: string): boolean {
    if (this.lengths[rank] !== text.length) return false;
    const start = this.starts[rank]!;
    for (let i = 0; i < text.length; i++) if (this.units[start + i] !== text.charCodeAt(i)) return false;
    return true;
  }

  /**
   * Reads an encoding's ranks: its text tokens into a TextRanks, the others (bytes that are not
   * UTF-8 text) into a decoder as gpt-tokenizer takes it, with holes where the text tokens are.
   */
  static read(encoding: EncodingName): { text: TextRanks; bytes: BpeRanks } {
    const bytes: BpeRanks = [];
    const texts: Array<[rank: number, text: string]> = [];
    let units = 0;
    let ranks = 0;
    forEachBpeToken(encoding, (rank, raw, text) => {
      ranks = Math.max(ranks, rank + 1);
      if (text === undefined) bytes[rank] = Array.from(raw);
      else {
        texts.push([rank, text]);
        units += text.length;
      }
    });
    const table = new TextRanks(
      new Uint16Array(units),
      new Uint32Array(ranks),
      new Uint16Array(ranks),
      new Int32Array(2 ** Math.ceil(Math.log2(texts.length * 2))),
    );
    let at = 0;
    for (const [rank, text] of texts) {
      table.starts[rank] = at;
      table.lengths[rank] = text.length;
      for (let i = 0; i < text.length; i++) table.units[at++] = text.charCodeAt(i);
      const mask = table.slots.length - 1;
      let slot = hash(text) & mask;
      while (table.slots[slot] !== 0) slot = (slot + 1) & mask;
      table.slots[slot] = rank + 1;
    }
    return { text: table, bytes };
  }
}

function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
