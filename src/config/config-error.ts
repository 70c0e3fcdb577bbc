/** A configuration problem a user can fix: names the key, what was expected and what was found. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`config error: ${key}: expected ${expected}, found ${found}`);
    this.name = 'ConfigError';
  }
}

/** Describes a value for an error line without ever echoing a secret. */
export function describeFound(value: unknown, secret = false): string {
  if (value === undefined || value === null || value === '') return 'nothing';
  if (secret) return typeof value === 'string' ? `a value of ${value.length} characters` : `a ${typeof value}`;
  if (Array.isArray(value)) return `an array ${truncate(JSON.stringify(value))}`;
  if (typeof value === 'object') return `an object ${truncate(JSON.stringify(value))}`;
  return `${typeof value} ${truncate(JSON.stringify(value))}`;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** How the user wrote keys they wrote under another name (a CoW key, an env var), by dotted path. */
export type KeyNames = ReadonlyMap<string, string>;

/** "wechatcomapp_aes_key (weworktop.aes_key)" for a key written as a CoW key; the path otherwise. */
export function nameKey(path: string, names: KeyNames): string {
  const written = names.get(path);
  return written && written !== path ? `${written} (${path})` : path;
}

/** The same error, naming its key as the user wrote it. */
export function withWrittenKey(error: ConfigError, names: KeyNames): ConfigError {
  const key = nameKey(error.key, names);
  return key === error.key ? error : new ConfigError(key, error.expected, error.found);
}

/** Turns convict's first error line ("key: expected X, found Y: value was ...") into a ConfigError. */
export function fromConvictError(error: Error): ConfigError {
  const first = error.message.split('\n')[0] ?? error.message;
  const match = /^([^:]+): (?:expected )?(.*?)(?:, found (.*?))?(?:: value was .*)?$/.exec(first);
  if (!match) return new ConfigError('config', 'a valid configuration', first);
  const [, key = 'config', expected = '', found] = match;
  return new ConfigError(key, expected.replace(/^must be /, ''), found ?? 'an invalid value');
}
