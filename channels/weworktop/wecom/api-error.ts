/** A WeCom API answer with errcode ≠ 0 (or a transport failure, errcode -1), logged once where it lands. */
export class WeComApiError extends Error {
  constructor(
    readonly api: string,
    readonly errcode: number,
    readonly errmsg: string,
    /** What the errcode means for this deployment and how to fix it. */
    readonly hint?: string,
  ) {
    super(`WeCom ${api} failed: errcode ${errcode}: ${errmsg}${hint ? `; ${hint}` : ''}`);
    this.name = 'WeComApiError';
  }

  /** Network, 5xx, "system busy" and rate limits pass: the message is retried later (see isTransient). */
  get transient(): boolean {
    return TRANSIENT_ERRCODES.has(this.errcode);
  }
}

/** Token rejected: drop it, fetch a new one, retry once (40001 invalid credential, 40014 invalid, 42001 expired, 41001 missing). */
export const TOKEN_ERRCODES = new Set([40001, 40014, 41001, 42001, 42009]);
/** Worth retrying with backoff: -1 system busy, 45009 rate limit, 45033 too many concurrent calls. */
export const TRANSIENT_ERRCODES = new Set([-1, 45009, 45033]);
/** The caller's IP is not in the app's trusted IP list (企业可信IP). */
export const UNTRUSTED_IP_ERRCODE = 60020;

/** The egress IP WeCom saw, from an errmsg like "... from ip: 203.0.113.7, more info ...". */
export function ipFromErrmsg(errmsg: string): string | undefined {
  return /from ip:\s*([0-9a-fA-F.:]+)/.exec(errmsg)?.[1];
}

/** Our own code (not WeCom's): a download was over the size we accept. */
export const MEDIA_TOO_LARGE = -2;

/** What WeCom's answer to gettoken means: wrong secret, wrong corp id, or an IP outside the trusted list. */
export function gettokenHint(errcode: number, errmsg: string, agentId: string): string | undefined {
  if (errcode === 40001) return `corp_secret is wrong for app ${agentId}: copy the Secret of this app (应用管理 → the app → Secret)`;
  if (errcode === 40013) return 'corp_id is wrong: copy 企业ID from 我的企业 → 企业信息';
  if (errcode === UNTRUSTED_IP_ERRCODE) return untrustedIpHint(errmsg);
  return undefined;
}

/** 60020: the IP WeCom saw, and the two ways to fix it. */
export function untrustedIpHint(errmsg: string): string {
  const ip = ipFromErrmsg(errmsg) ?? 'unknown';
  return `WeCom refused this server's IP ${ip}: add ${ip} to the app's trusted IPs (应用管理 → your app → 企业可信IP), or set weworktop.proxy to a proxy whose fixed IP is trusted`;
}
