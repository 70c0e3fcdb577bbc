import { isTransient } from '../transient.js';

/** Why a push did not go out, as it crosses threads and is stored: WeCom's errcode and words when it answered. */
export interface PushFailure {
  message: string;
  transient: boolean;
  errcode?: number;
  errmsg?: string;
}

export function pushFailureOf(error: unknown): PushFailure {
  const { errcode, errmsg } = error as { errcode?: unknown; errmsg?: unknown };
  return {
    message: error instanceof Error ? error.message : String(error),
    transient: isTransient(error),
    ...(typeof errcode === 'number' ? { errcode } : {}),
    ...(typeof errmsg === 'string' ? { errmsg } : {}),
  };
}
