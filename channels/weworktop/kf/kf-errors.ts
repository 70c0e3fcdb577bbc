import { WeComApiError } from '../wecom/api-error.js';

/** send_msg refused: the session is not in state 0/1, a human or the queue owns it ("send msg session status invalid"). */
export const SESSION_NOT_OURS = 95018;
/** send_msg refused: the 5 messages per customer message are used, or 48 h passed ("send msg count limit"). */
export const SEND_LIMIT = 95001;

export const isWeComError = (error: unknown, errcode: number): boolean => error instanceof WeComApiError && error.errcode === errcode;

/**
 * An outcome we cannot know: the request may have reached WeCom (a dropped connection, a timeout,
 * a 5xx, an answer that is not WeCom's). A send tried again after one reuses its msgid.
 */
export const outcomeUnknown = (error: unknown): boolean => error instanceof WeComApiError && error.errcode === -1;

/** msg_send_fail's fail_type (https://developer.work.weixin.qq.com/document/path/94670). */
const SEND_FAILURES: Record<number, string> = {
  0: 'unknown reason',
  1: 'the 客服账号 was deleted',
  2: 'the app was closed',
  4: 'the session expired (more than 48 hours since the customer wrote)',
  5: 'the session was closed',
  6: 'more than 5 messages for one customer message',
  7: 'no WeChat Channels (视频号) bound',
  8: 'the corp is not verified',
  9: 'no WeChat Channels bound and the corp is not verified',
  10: 'the customer refuses messages',
};

export function describeSendFailure(failType: number | undefined): string {
  return `fail_type ${failType ?? '?'}: ${SEND_FAILURES[failType ?? -1] ?? 'not documented'}`;
}
