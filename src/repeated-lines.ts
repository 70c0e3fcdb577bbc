import type { LogSink } from './logger.js';

export interface RepeatedLineFilterOptions {
  /** How long identical lines are counted before their count is written (default 60 s). */
  windowMs?: number;
  now?: () => number;
}

/** Warnings and errors only: info lines do not flood. */
const LEVELS = new Map([
  ['WARN', 40],
  ['ERROR', 50],
  ['FATAL', 60],
]);
/** Distinct lines being counted at once; past it, new ones pass uncounted (memory stays bounded). */
const MAX_TRACKED = 1000;

interface Repeats {
  /** The line as first written, to word the summary after. */
  line: string;
  count: number;
  since: number;
}

/**
 * Holds back a warning or error identical to one written in the last minute (same level, module,
 * message and fields; only the time differs), and writes the count instead, once a minute:
 * "… (repeated 2,976 times in the last 60 s)". A full disk that refuses every callback, or a
 * flood of forged ones, then costs a few lines a minute, not one each. Works on the formatted
 * lines of every thread (text or JSON), so it sits once in front of the sink.
 */
export class RepeatedLineFilter implements LogSink {
  private readonly repeats = new Map<string, Repeats>();
  private readonly windowMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: LogSink,
    options: RepeatedLineFilterOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  write(line: string): void {
    const key = repeatKey(line);
    if (key === undefined) return void this.sink.write(line);
    const seen = this.repeats.get(key);
    if (seen) {
      seen.count++;
      return;
    }
    if (this.repeats.size < MAX_TRACKED) this.repeats.set(key, { line, count: 0, since: this.now() });
    this.schedule();
    this.sink.write(line);
  }

  /** Writes the counts due (all of them with `all`) and forgets lines that did not repeat. */
  flush(all = true): void {
    const now = this.now();
    for (const [key, entry] of this.repeats) {
      if (!all && now - entry.since < this.windowMs) continue;
      if (entry.count === 0) {
        this.repeats.delete(key);
        continue;
      }
      this.sink.write(summary(entry, now));
      entry.count = 0;
      entry.since = now;
    }
    if (all) this.repeats.clear();
  }

  /** Writes what is still counted and stops the timer (on stop). */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }

  private schedule(): void {
    if (this.timer) return;
    // Checked a few times a window, so a count is written at most a quarter window late.
    this.timer = setInterval(
      () => {
        this.flush(false);
        if (this.repeats.size === 0) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      },
      Math.max(1, this.windowMs / 4),
    );
    this.timer.unref();
  }
}

/** The line without its time, for a warning or worse; undefined for lines that are never held back. */
export function repeatKey(line: string): string | undefined {
  if (line.startsWith('{')) {
    const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
    return level >= 40 ? line.replace(/"time":\d+,?/, '') : undefined;
  }
  const space = line.indexOf(' ');
  const rest = line.slice(space + 1);
  const level = LEVELS.get(rest.slice(0, 5).trim());
  return space > 0 && level !== undefined ? rest : undefined;
}

function summary(entry: Repeats, now: number): string {
  const times = `${entry.count.toLocaleString('en-US')} time${entry.count === 1 ? '' : 's'}`;
  const seconds = Math.max(1, Math.round((now - entry.since) / 1000));
  if (entry.line.startsWith('{')) {
    const record = JSON.parse(entry.line) as Record<string, unknown>;
    return `${JSON.stringify({ ...record, time: now, repeated: entry.count, in_last_s: seconds })}\n`;
  }
  const text = entry.line.slice(entry.line.indexOf(' ') + 1).replace(/\n$/, '');
  return `${new Date(now).toISOString()} ${text} (repeated ${times} in the last ${seconds} s)\n`;
}
