/**
 * Where a JSON text stops being JSON, for an error line with line and column: Node 20's
 * JSON.parse names no position. The hints cover what hand-edited configs get wrong.
 */
export interface JsonSyntaxProblem {
  line: number;
  column: number;
  hint: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    readonly hint: string,
  ) {
    super(hint);
  }
}

export function findJsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  try {
    new Scanner(text).document();
    return undefined;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    return { ...lineAndColumn(text, error.offset), hint: error.hint };
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

class Scanner {
  private at = 0;

  constructor(private readonly text: string) {}

  document(): void {
    this.value();
    this.space();
    if (this.at < this.text.length) throw this.unexpected('more text after the end of the JSON object');
  }

  private value(): void {
    this.space();
    const char = this.text[this.at];
    if (char === '{') {
      this.object();
      return;
    }
    if (char === '[') {
      this.array();
      return;
    }
    if (char === '"') {
      this.string();
      return;
    }
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) {
      this.number();
      return;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (this.text.startsWith(literal, this.at)) {
        this.at += literal.length;
        return;
      }
    }
    throw this.unexpected('a value (a "string", a number, true, false, null, {...} or [...])');
  }

  private object(): void {
    this.at += 1;
    this.space();
    if (this.text[this.at] === '}') {
      this.at += 1;
      return;
    }
    for (;;) {
      this.space();
      if (this.text[this.at] === '}') throw new Stop(this.at, 'a comma before "}" (JSON allows no trailing comma)');
      if (this.text[this.at] !== '"') throw this.unexpected('a key in double quotes');
      this.string();
      this.space();
      if (this.text[this.at] !== ':') throw this.unexpected('":" after the key');
      this.at += 1;
      this.value();
      this.space();
      const next = this.text[this.at];
      this.at += 1;
      if (next === '}') return;
      if (next !== ',') throw this.unexpected('"," or "}" (a missing comma?)', this.at - 1);
    }
  }

  private array(): void {
    this.at += 1;
    this.space();
    if (this.text[this.at] === ']') {
      this.at += 1;
      return;
    }
    for (;;) {
      this.space();
      if (this.text[this.at] === ']') throw new Stop(this.at, 'a comma before "]" (JSON allows no trailing comma)');
      this.value();
      this.space();
      const next = this.text[this.at];
      this.at += 1;
      if (next === ']') return;
      if (next !== ',') throw this.unexpected('"," or "]" (a missing comma?)', this.at - 1);
    }
  }

  private string(): void {
    const start = this.at;
    this.at += 1;
    for (;;) {
      const char = this.text[this.at];
      if (char === undefined) throw new Stop(start, 'a string that is never closed (a missing ")');
      if (char === '"') {
        this.at += 1;
        return;
      }
      if (char === '\n' || char === '\r') throw new Stop(this.at, 'a line break inside a string (write \\n)');
      if (char < ' ') throw new Stop(this.at, 'a control character inside a string');
      if (char === '\\') {
        const escaped = this.text[this.at + 1];
        if (escaped === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.at + 2, this.at + 6))) this.at += 6;
        else if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) this.at += 2;
        else throw new Stop(this.at, 'a backslash that starts no escape (write \\\\ for a backslash, e.g. in Windows paths)');
      } else {
        this.at += 1;
      }
    }
  }

  private number(): void {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.at));
    if (!match) throw this.unexpected('a number');
    this.at += match[0].length;
  }

  private space(): void {
    while (this.at < this.text.length && ' \t\n\r'.includes(this.text[this.at]!)) this.at += 1;
  }

  private unexpected(expected: string, offset = this.at): Stop {
    const char = this.text[offset];
    if (char === undefined) return new Stop(this.text.length, `the end of the file where ${expected} should be (a missing "}" or "]"?)`);
    if (char === '/' && '/*'.includes(this.text[offset + 1] ?? ''))
      return new Stop(offset, 'a comment: JSON allows no // or /* */ comments');
    if (char === "'") return new Stop(offset, 'a single quote: JSON strings and keys need double quotes');
    return new Stop(offset, `${JSON.stringify(char)} where ${expected} should be`);
  }
}
