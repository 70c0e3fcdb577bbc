import type { AppConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';

/** pass ✔, fail ✘ (the doctor exits 1), skip – (does not apply, or an earlier check failed: one cause, one ✘). */
export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  status: CheckStatus;
  /** What was found, in plain words. */
  detail: string;
  /** For a failure: what to change, in plain words (which key, which console page). */
  fix?: string;
}

/** One line of `weworktop doctor`. */
export interface DoctorCheck {
  /** What is checked, e.g. "LLM" or "app 1000002: gettoken". */
  name: string;
  run(): Promise<CheckResult>;
}

/** What a channel's checks get: the config as the app reads it. */
export interface DoctorContext {
  config: AppConfig;
  /** A logger that writes nothing: the checks' results are the output. */
  logger: Logger;
  /** How long one outside call may take. */
  timeoutMs: number;
}

export const pass = (detail: string): CheckResult => ({ status: 'pass', detail });
export const fail = (detail: string, fix: string): CheckResult => ({ status: 'fail', detail, fix });
export const skip = (detail: string): CheckResult => ({ status: 'skip', detail });
