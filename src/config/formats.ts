import convict from 'convict';
import { describeFound } from './config-error.js';

/**
 * Convict formats whose errors read "expected X, found Y"; loadConfig turns the first one into a
 * ConfigError. No format coerces: convict would coerce file values too and hide "found string".
 * Env vars, which are always strings, are parsed by env-overlay.ts instead.
 */
export class FormatError extends Error {
  constructor(expected: string, value: unknown, secret = false, found = describeFound(value, secret)) {
    super(`expected ${expected}, found ${found}`);
  }
}

/** A credential of a known alphabet: a mismatch names the first character outside it. */
export interface CredentialPattern {
  regex: RegExp;
  describe: string;
  /** One character the platform generates. */
  allowed?: RegExp;
  /** What the console calls it, with its article: "a Token". */
  what?: string;
}

/**
 * What is wrong with a secret, without echoing it: its length, and the first character the
 * platform never generates (a space or quote copied along, a placeholder's "-").
 */
export function describeCredential(value: string, pattern: CredentialPattern): string {
  const chars = Array.from(value);
  const at = pattern.allowed ? chars.findIndex((char) => !pattern.allowed!.test(char)) : -1;
  const length = `a value of ${chars.length} characters`;
  if (at < 0) return length;
  const char = chars[at]!;
  const named = char === ' ' ? 'a space' : char === '\n' || char === '\r' ? 'a line break' : char === '\t' ? 'a tab' : JSON.stringify(char);
  return `${length} with ${named} at position ${at + 1}, a character WeCom never puts in ${pattern.what ?? 'one'}`;
}

export function registerFormats(): void {
  convict.addFormats({
    'string-list': {
      validate(value: unknown) {
        if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
          throw new FormatError('a list of strings like ["a", "b"]', value);
        }
      },
    },
    flag: {
      validate(value: unknown) {
        if (typeof value !== 'boolean') throw new FormatError('true or false', value);
      },
    },
    'non-negative-int': {
      validate(value: unknown) {
        if (!Number.isInteger(value) || (value as number) < 0) throw new FormatError('a whole number >= 0', value);
      },
    },
    'positive-int': {
      validate(value: unknown) {
        if (!Number.isInteger(value) || (value as number) < 1) throw new FormatError('a whole number >= 1', value);
      },
    },
    'tcp-port': {
      validate(value: unknown) {
        if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) {
          throw new FormatError('a port number 0-65535', value);
        }
      },
    },
    'finite-number': {
      validate(value: unknown) {
        if (typeof value !== 'number' || !Number.isFinite(value)) throw new FormatError('a number', value);
      },
    },
    text: {
      validate(value: unknown, schema: { sensitive?: boolean }) {
        if (typeof value !== 'string') throw new FormatError('a string', value, schema.sensitive === true);
      },
    },
    'http-url-or-empty': {
      validate(value: unknown) {
        if (typeof value !== 'string' || (value !== '' && !/^https?:\/\/[^\s]+$/.test(value))) {
          throw new FormatError('an http(s):// URL (or "" for none)', value);
        }
      },
    },
    // Must be named 'object': convict only keeps a nested value whole for a leaf of that format.
    object: {
      validate(value: unknown) {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          throw new FormatError('an object like {"key": ...}', value);
        }
      },
    },
  });
}

/** A format for a credential the chosen channel cannot run without. */
export function requiredText(channel: string, pattern?: CredentialPattern) {
  return (value: unknown, schema: { sensitive?: boolean }) => {
    const secret = schema.sensitive === true;
    if (typeof value !== 'string' || value === '') {
      throw new FormatError(`a value (required when channel_type is "${channel}")`, value, secret);
    }
    if (pattern && !pattern.regex.test(value))
      throw new FormatError(pattern.describe, value, secret, secret ? describeCredential(value, pattern) : undefined);
  };
}
