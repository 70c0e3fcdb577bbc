import { pino, type Logger } from 'pino';

export type { Logger };

/** Where log lines go; tests pass their own to read what was logged. */
export interface LogSink {
  write(line: string): void;
}

const SECRET_KEY = /(secret|aes_key|api_key|apikey|token|password|encodingaeskey)$/i;
// Credentials that also travel in URLs and payloads we might log: WeCom's query parameters.
const SECRET_PARAM = /\b(access_token|corpsecret|key)=([^&\s"']+)/g;

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

/** Replaces every known secret, and credential query parameters, with "***". */
export function createRedactor(secrets: Iterable<string>): (text: string) => string {
  // Longest first, so a secret that contains another is replaced whole.
  const values = [...new Set(secrets)].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const secret of values) {
      if (out.includes(secret)) out = out.split(secret).join('***');
    }
    return out.replace(SECRET_PARAM, '$1=***');
  };
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const META_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'module']);

/** One readable line a record: `time LEVEL [module] message key=value ...`. */
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
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${time} ${level.padEnd(5)}${module} ${String(record.msg ?? '')}${fields ? ` ${fields}` : ''}\n`;
}

export interface LoggerOptions {
  level?: string;
  secrets?: Iterable<string>;
  sink?: LogSink;
  /** "text" (default) for people, "json" for log collectors. */
  format?: 'text' | 'json';
}

/** A pino logger whose every line passes the redactor, so no secret reaches a log. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const redact = createRedactor(options.secrets ?? []);
  const sink = options.sink ?? process.stdout;
  const format = options.format ?? (process.env.LOG_FORMAT === 'json' ? 'json' : 'text');
  const destination = {
    write(line: string) {
      sink.write(redact(format === 'json' ? line : formatRecord(line)));
    },
  };
  return pino({ level: options.level ?? 'info', base: undefined }, destination);
}
