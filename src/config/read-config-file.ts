import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, describeFound } from './config-error.js';
import { findJsonSyntaxProblem } from './json-syntax.js';

/**
 * A config file's JSON object. A byte order mark (Windows editors write one) is skipped, as CoW
 * does; a syntax error names its line and column.
 */
export function readConfigFile(file: string): Record<string, unknown> {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const problem = findJsonSyntaxProblem(text);
    const found = problem
      ? `a syntax error at line ${problem.line}, column ${problem.column}: ${problem.hint}`
      : `a syntax error (${(error as Error).message})`;
    throw new ConfigError(path.basename(file), 'valid JSON', found);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(path.basename(file), 'a JSON object', describeFound(parsed));
  }
  return parsed as Record<string, unknown>;
}
