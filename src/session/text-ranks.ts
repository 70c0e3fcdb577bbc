import { type BpeRanks, type EncodingName, forEachBpeToken } from './bpe-ranks.js';

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
