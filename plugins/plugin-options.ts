import { ConfigError, describeFound } from '../src/config/config-error.js';

/** Reads a plugin's plugin_config entry with errors that name the exact key. */
export class PluginOptions {
  private readonly values: Record<string, unknown>;

  constructor(
    private readonly plugin: string,
    raw: unknown,
  ) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ConfigError(`plugin_config.${plugin}`, 'an object', describeFound(raw));
    }
    this.values = raw as Record<string, unknown>;
  }

  stringList(key: string, fallback: string[]): string[] {
    const value = this.values[key] ?? fallback;
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) this.fail(key, 'a list of strings', value);
    return value as string[];
  }

  oneOf<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    const value = this.values[key] ?? fallback;
    if (!choices.includes(value as T)) this.fail(key, `one of ${choices.map((c) => `"${c}"`).join(', ')}`, value);
    return value as T;
  }

  flag(key: string, fallback: boolean): boolean {
    const value = this.values[key] ?? fallback;
    if (typeof value !== 'boolean') this.fail(key, 'true or false', value);
    return value as boolean;
  }

  stringMap(key: string): Record<string, string> {
    const value = this.values[key] ?? {};
    const valid =
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      Object.values(value).every((item) => typeof item === 'string');
    if (!valid) this.fail(key, 'an object of "keyword": "reply" strings', value);
    return value as Record<string, string>;
  }

  private fail(key: string, expected: string, value: unknown): never {
    throw new ConfigError(`plugin_config.${this.plugin}.${key}`, expected, describeFound(value));
  }
}
