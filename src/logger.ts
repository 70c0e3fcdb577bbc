import { type Logger, pino } from 'pino';
import { learnedSecrets, learnedVersion } from './learned-secrets.js';

export type { Logger };

/** Where log lines go; tests pass their own to read what was logged. */
export interface LogSink {
  write(line: string): void;
}

const SECRET_KEY = /(secret|aes_key|api_key|apikey|token|password|encodingaeskey)$/i;
// Credentials that also travel in URLs and payloads we might log: WeCom's query parameters.
const SECRET_PARAM = /\b(access_token|corpsecret|key|response_code)=([^&\s"'<>]+)/g;

/** Collects every secret-looking string value (by key name) anywhere in a config object. */
export function collectSecrets(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) collectSecrets(item, found);
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === 'string' && SECRET_KEY.test(key) && item.length >= 4) found.add(item);
      else collectSecrets(item, found);
    }
  }
  return found;
}

/**
 * Replaces every known secret (the config's, and those this thread learned at run time, see
 * learned-secrets.ts), and credential query parameters, with "***".
 */
export function createRedactor(secrets: Iterable<string>): (text: string) => string {
  const configured = [...new Set(secrets)];
  let values: string[] = [];
  let builtFor = -1;
  return (text) => {
    if (builtFor !== learnedVersion()) {
      builtFor = learnedVersion();
      // Longest first, so a secret that contains another is replaced whole.
      values = [...new Set([...configured, ...learnedSecrets()])].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
    }
    let out = text;
    for (const secret of values) {
      if (out.includes(secret)) out = out.split(secret).join('***');
    }
    return out.replace(SECRET_PARAM, '$1=***');
  };
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const META_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'module']);

/**
 * An error field as one line (`TypeError: message`), whatever was logged: an Error, its stack, a
 * string. At debug level the whole stack is kept.
 */
function describeError(value: unknown, withStack: boolean): unknown {
  if (value instanceof Error) return withStack ? (value.stack ?? String(value)) : oneLine(String(value));
  if (typeof value !== 'string') return value;
  if (withStack) return value;
  // A stack: its first line(s) up to the first frame.
  const frame = value.search(/\n\s+at /);
  return oneLine(frame === -1 ? value : value.slice(0, frame));
}

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
/** Line breaks inside a field, written as \n so that a record stays one line. */
const escapeBreaks = (text: string) => text.replace(/\r?\n/g, '\\n');

/** One readable line a record: `time LEVEL [module] message key=value ...` (a stack at debug may add lines). */
function formatRecord(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = new Date(typeof record.time === 'number' ? record.time : Date.now()).toISOString();
  const level = LEVEL_NAMES[record.level as number] ?? String(record.level);
  const module = typeof record.module === 'string' ? ` [${record.module}]` : '';
  const fields = Object.entries(record)
    .filter(([key]) => !META_KEYS.has(key))
    .map(([key, value]) => `${key}=${typeof value !== 'string' ? JSON.stringify(value) : key === 'err' ? value : escapeBreaks(value)}`)
    .join(' ');
  return `${time} ${level.padEnd(5)}${module} ${escapeBreaks(String(record.msg ?? ''))}${fields ? ` ${fields}` : ''}\n`;
}

export interface LoggerOptions {
  level?: string;
  secrets?: Iterable<string>;
  sink?: LogSink;
  /** "text" (default) for people, "json" for log collectors. */
  format?: 'text' | 'json';
}

/**
 * A pino logger whose every line passes the redactor, so no secret reaches a log. An `err` field
 * is written as one line (its message) unless the level is debug: one line per event.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const redact = createRedactor(options.secrets ?? []);
  const sink = options.sink ?? process.stdout;
  const format = options.format ?? (process.env.LOG_FORMAT === 'json' ? 'json' : 'text');
  const destination = {
    write(line: string) {
      sink.write(redact(format === 'json' ? line : formatRecord(line)));
    },
  };
  const logger: Logger = pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      serializers: { err: (value: unknown) => describeError(value, logger.isLevelEnabled('debug')) },
    },
    destination,
  );
  return logger;
}
