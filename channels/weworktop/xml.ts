import { XMLParser, XMLValidator } from 'fast-xml-parser';

export class WeComXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeComXmlError';
  }
}

/** A WeCom message is a flat <xml> of a few dozen short fields; anything bigger is not from WeCom. */
const MAX_XML_CHARS = 1024 * 1024;
const MAX_FIELDS = 64;

// Entities off (no DOCTYPE expansion), tag values kept as strings: MsgId exceeds 2^53.
const parser = new XMLParser({ processEntities: false, parseTagValue: false, ignoreAttributes: true, trimValues: false, ignoreDeclaration: true });

const PREDEFINED_ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&apos;': "'" };

/** Parses `<xml>…</xml>` with flat children into strings; nested or repeated tags are rejected. */
export function parseFlatXml(text: string): Record<string, string> {
  if (text.length > MAX_XML_CHARS) throw new WeComXmlError(`XML is ${text.length} characters, over the ${MAX_XML_CHARS} limit`);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new WeComXmlError('DOCTYPE and ENTITY declarations are not allowed');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new WeComXmlError(`${valid.err.msg} (line ${valid.err.line})`);
  const root = (parser.parse(text) as Record<string, unknown>).xml;
  if (root === '') return {};
  if (root === undefined || typeof root !== 'object' || root === null) throw new WeComXmlError('root element is not <xml>');
  const entries = Object.entries(root as Record<string, unknown>);
  if (entries.length > MAX_FIELDS) throw new WeComXmlError(`${entries.length} fields, over the ${MAX_FIELDS} limit`);
  const fields: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (typeof value !== 'string') throw new WeComXmlError(`field <${name}> is ${Array.isArray(value) ? 'repeated' : 'nested'}`);
    fields[name] = value.replace(/&(lt|gt|amp|quot|apos);/g, (entity) => PREDEFINED_ENTITIES[entity]!);
  }
  return fields;
}

export interface CallbackEnvelope {
  encrypt: string;
  toUserName?: string;
  agentId?: string;
}

/** The POST body around the ciphertext: `<xml><ToUserName/><AgentID/><Encrypt/></xml>`, read by tag. */
export function parseEnvelope(body: string): CallbackEnvelope {
  const fields = parseFlatXml(body);
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
    .map(([name, value]) => (typeof value === 'number' ? `<${name}>${value}</${name}>` : `<${name}><![CDATA[${value.replace(/]]>/g, ']]]]><![CDATA[>')}]]></${name}>`))
    .join('');
  return `<xml>${body}</xml>`;
}
