import { XMLParser, XMLValidator } from 'fast-xml-parser';

export class WeComXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeComXmlError';
  }
}

/**
 * A WeCom message is a flat <xml> of a few dozen short fields (user text is a few KB at most), so
 * a decrypted message over 64 KiB is not from WeCom. The envelope around the ciphertext is only
 * bounded by the 1 MiB body limit, as Base64 makes it a third longer than the message.
 */
const MAX_MESSAGE_CHARS = 64 * 1024;
const MAX_ENVELOPE_CHARS = 1024 * 1024;
const MAX_FIELDS = 64;
/** <xml> and its fields are 2 levels; one more lets a nested field be named in the error, deeper stops the parser. */
const MAX_DEPTH = 3;

// Tag values kept as strings: MsgId exceeds 2^53. Only the five predefined entities are decoded, in
// text but not inside CDATA, where WeCom puts user text and "&amp;" is what the user typed; a
// DOCTYPE is refused before parsing, so no other entity can be declared, let alone expanded.
const parser = new XMLParser({
  processEntities: true,
  htmlEntities: false,
  parseTagValue: false,
  ignoreAttributes: true,
  trimValues: false,
  ignoreDeclaration: true,
  maxNestedTags: MAX_DEPTH,
});

/** Parses `<xml>…</xml>` with flat children into strings; nested or repeated tags are rejected. */
export function parseFlatXml(text: string, maxChars = MAX_MESSAGE_CHARS): Record<string, string> {
  if (text.length > maxChars) throw new WeComXmlError(`XML is ${text.length} characters, over the ${maxChars} limit`);
  return readCanonicalXml(text) ?? parseAnyFlatXml(text);
}

// One field exactly as WeCom writes it: <Name><![CDATA[text]]></Name> or <Name>text</Name>, with
// text free of markup and entities. A name starts upper-case, as all of WeCom's do, so __proto__
// and friends never match here.
const CANONICAL_FIELD = /\s*<([A-Z][A-Za-z0-9_]*)>(?:<!\[CDATA\[([^\]]*(?:\](?!\]>)[^\]]*)*)\]\]>|([^<&]*))<\/\1>/y;
const CANONICAL_END = /\s*<\/xml>\s*$/y;

/**
 * The callback hot path: reads the one shape WeCom sends (a flat <xml> of canonical fields) in a
 * single pass, much faster than parsing it (docs/performance.md, WeCom's XML). Anything else,
 * however slightly different (an entity, a comment, a repeated or nested field, two CDATA
 * sections), returns undefined and goes to fast-xml-parser, the parser of record; a property test
 * holds the two to the same answers.
 */
export function readCanonicalXml(text: string): Record<string, string> | undefined {
  let at = text.startsWith('<xml>') ? 5 : -1;
  if (at < 0) return undefined;
  const fields: Record<string, string> = {};
  let count = 0;
  for (;;) {
    CANONICAL_FIELD.lastIndex = at;
    const field = CANONICAL_FIELD.exec(text);
    if (!field) break;
    const name = field[1]!;
    if (Object.hasOwn(fields, name) || ++count > MAX_FIELDS) return undefined;
    const value = field[2] ?? field[3]!;
    // XML's end-of-line rule, as fast-xml-parser applies it: \r\n and a lone \r read as \n.
    fields[name] = value.includes('\r') ? value.replace(/\r\n?/g, '\n') : value;
    at = CANONICAL_FIELD.lastIndex;
  }
  CANONICAL_END.lastIndex = at;
  return count > 0 && CANONICAL_END.test(text) ? fields : undefined;
}

/** Any flat <xml>, through fast-xml-parser with its validator: the precise errors come from here. */
export function parseAnyFlatXml(text: string): Record<string, string> {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new WeComXmlError('DOCTYPE and ENTITY declarations are not allowed');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new WeComXmlError(`${valid.err.msg} (line ${valid.err.line})`);
  const root = parse(text).xml;
  if (root === '') return {};
  if (root === undefined || typeof root !== 'object' || root === null) throw new WeComXmlError('root element is not <xml>');
  const entries = Object.entries(root as Record<string, unknown>);
  if (entries.length > MAX_FIELDS) throw new WeComXmlError(`${entries.length} fields, over the ${MAX_FIELDS} limit`);
  const fields: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (name === '#text') {
      // The newlines between fields; anything else directly inside <xml> is not a flat message.
      if (typeof value === 'string' && value.trim() === '') continue;
      throw new WeComXmlError('text directly inside <xml>, outside any field');
    }
    if (typeof value !== 'string') throw new WeComXmlError(`field <${name}> is ${Array.isArray(value) ? 'repeated' : 'nested'}`);
    fields[name] = value;
  }
  return fields;
}

/** The parser throws plain Errors past its depth limit and on names like __proto__: they are malformed input too. */
function parse(text: string): Record<string, unknown> {
  try {
    return parser.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new WeComXmlError((error as Error).message);
  }
}

export interface CallbackEnvelope {
  encrypt: string;
  toUserName?: string;
  agentId?: string;
}

/** The POST body around the ciphertext: `<xml><ToUserName/><AgentID/><Encrypt/></xml>`, read by tag. */
export function parseEnvelope(body: string): CallbackEnvelope {
  const fields = parseFlatXml(body, MAX_ENVELOPE_CHARS);
  const encrypt = fields.Encrypt?.trim();
  if (!encrypt) throw new WeComXmlError('no <Encrypt> element');
  return { encrypt, toUserName: fields.ToUserName, agentId: fields.AgentID };
}

/** The decrypted message or event. */
export function parseMessageXml(plaintext: string): Record<string, string> {
  const fields = parseFlatXml(plaintext);
  if (!fields.MsgType) throw new WeComXmlError('no <MsgType> element');
  return fields;
}

/** Builds a flat `<xml>` with CDATA text (tests, the simulator and passive replies). */
export function buildXml(fields: Record<string, string | number>): string {
  const body = Object.entries(fields)
    .map(([name, value]) =>
      typeof value === 'number'
        ? `<${name}>${value}</${name}>`
        : `<${name}><![CDATA[${value.replace(/]]>/g, ']]]]><![CDATA[>')}]]></${name}>`,
    )
    .join('');
  return `<xml>${body}</xml>`;
}
