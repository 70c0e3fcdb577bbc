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
