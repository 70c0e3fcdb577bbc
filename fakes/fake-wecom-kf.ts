// The 微信客服 (kf) part of the fake WeCom API, wired into fake-wecom.ts: sync_msg with cursors, pages and
// has_more; callback tokens that expire; send_msg with the session states, the 48-hour window, the
// 5-message budget and 95018; send_msg_on_event; service_state get/trans; customer/batchget; account/list.
import { randomBytes } from 'node:crypto';
import { type FakeResponse, json } from './http-fake.js';

export type FakeKfApi =
  | 'kf/sync_msg'
  | 'kf/send_msg'
  | 'kf/send_msg_on_event'
  | 'kf/service_state/get'
  | 'kf/service_state/trans'
  | 'kf/customer/batchget'
  | 'kf/account/list';
export const KF_APIS: readonly FakeKfApi[] = [
  'kf/sync_msg',
  'kf/send_msg',
  'kf/send_msg_on_event',
  'kf/service_state/get',
  'kf/service_state/trans',
  'kf/customer/batchget',
  'kf/account/list',
];

/** What send_msg took: a message the customer sees. */
export interface FakeKfSent {
  openKfid: string;
  touser: string;
  msgid: string;
  msgtype: string;
  body: Record<string, unknown>;
  at: number;
}

/** What send_msg_on_event took (a welcome, a hand-over notice). */
export interface FakeKfEventSend {
  code: string;
  purpose: 'welcome' | 'pool' | 'taken' | 'ended';
  openKfid: string;
  touser: string;
  content: string;
  at: number;
}

export interface FakeKfMsg {
  msgid: string;
  send_time: number;
  origin: 3 | 4 | 5;
  msgtype: string;
  [field: string]: unknown;
}

export interface FakeKf {
  sent: FakeKfSent[];
  eventSends: FakeKfEventSend[];
  /** Every sync_msg request, in order. */
  syncCalls: Array<{ openKfid: string; cursor?: string; token?: string; at: number }>;
  transfers: Array<{ openKfid: string; externalUserid: string; state: number; servicer?: string }>;
  addAccount(openKfid: string, options?: { name?: string; managePrivilege?: boolean }): void;
  addCustomer(externalUserid: string, nickname: string): void;
  /** A customer's message (origin 3); `sendTime` (unix seconds) defaults to now. Its msgid. */
  customerSays(
    openKfid: string,
    externalUserid: string,
    content: string | { msgtype: string; [payload: string]: unknown },
    options?: { sendTime?: number },
  ): string;
  /** A servicer writes from the WeCom client (origin 5): the session becomes theirs (state 3). */
  servicerSays(openKfid: string, externalUserid: string, servicer: string, content: string): string;
  /** The customer opens the chat: enter_session, with a welcome_code (good for 20 s) unless `welcome: false`. */
  enterSession(openKfid: string, externalUserid: string, options?: { welcome?: boolean; sendTime?: number }): void;
  /** A servicer takes the session from the pool (session_status_change 1): state 3. */
  takeOver(openKfid: string, externalUserid: string, servicer: string): void;
  /** The servicer ends the session (session_status_change 3): state 4, the bot may answer the next message. */
  endSession(openKfid: string, externalUserid: string): void;
  /** WeCom reports a send that did not reach the customer (msg_send_fail). */
  sendFailed(openKfid: string, externalUserid: string, failMsgid: string, failType: number): void;
  state(openKfid: string, externalUserid: string): number;
  /** A fresh callback Token for the account (kf_msg_or_event), good for `ttlMs` (WeCom: 10 minutes). */
  callbackToken(openKfid: string, ttlMs?: number): string;
  /** Page size of sync_msg (WeCom's is 1000): smaller makes has_more pages. */
  setPageSize(size: number): void;
  /** The account's next sync_msg answers an empty page with has_more 1 (WeCom may). */
  emptyPageNext(openKfid: string): void;
  /** The next send_msg goes out to the customer, but its answer is lost (the connection drops). */
  loseNextSendAnswer(): void;
  reset(): void;
}

/** Codes the docs do not give; the fake's choice (the channel must not depend on them). */
export const FAKE_REPEATED_MSGID_ERRCODE = 40058;
export const FAKE_BAD_TOKEN_ERRCODE = 95007;
export const FAKE_BAD_CODE_ERRCODE = 95016;

const THREE_DAYS_MS = 3 * 24 * 60 * 60 * 1000;
const WINDOW_MS = 48 * 60 * 60 * 1000;
const CODE_MS = { welcome: 20_000, pool: WINDOW_MS, taken: WINDOW_MS, ended: 20_000 } as const;
const MAX_TEXT_BYTES = 2048;
/** Allowed moves of service_state/trans (https://developer.work.weixin.qq.com/document/path/94669). */
const MOVES: Record<number, number[]> = { 0: [1, 2, 3, 4], 1: [1, 2, 3, 4], 2: [2, 3, 4], 3: [3, 4], 4: [] };

interface Account {
  name: string;
  managePrivilege: boolean;
  log: FakeKfMsg[];
  usedMsgids: Set<string>;
  emptyNext: boolean;
}

interface Session {
  state: number;
  servicer?: string;
  /** Moved into 2 or 3 in this session already (msg_code only comes the first time). */
  moved: boolean;
  lastCustomerAt: number;
  sendsSince: number;
}

export function createFakeKf(options: { notify: () => void }): {
  kf: FakeKf;
  handle(api: FakeKfApi, body: Record<string, unknown>): FakeResponse;
} {
  const accounts = new Map<string, Account>();
  const customers = new Map<string, string>();
  const sessions = new Map<string, Session>();
  const tokens = new Map<string, { openKfid: string; expiresAt: number }>();
  const codes = new Map<string, { purpose: FakeKfEventSend['purpose']; openKfid: string; externalUserid: string; expiresAt: number }>();
  let pageSize = 1000;
  let loseAnswer = false;
  let counter = 0;
  const kf: FakeKf = {
    sent: [],
    eventSends: [],
    syncCalls: [],
    transfers: [],
    addAccount: (openKfid, { name = openKfid, managePrivilege = true } = {}) =>
      void accounts.set(openKfid, { name, managePrivilege, log: [], usedMsgids: new Set(), emptyNext: false }),
    addCustomer: (id, nickname) => void customers.set(id, nickname),
    customerSays(openKfid, externalUserid, content, { sendTime = now() } = {}) {
      const session = sessionOf(openKfid, externalUserid);
      if (session.state === 4) Object.assign(session, { state: 0, moved: false, servicer: undefined });
      session.lastCustomerAt = sendTime * 1000;
      session.sendsSince = 0;
      const payload = typeof content === 'string' ? { msgtype: 'text', text: { content } } : content;
      return push(openKfid, { origin: 3, send_time: sendTime, open_kfid: openKfid, external_userid: externalUserid, ...payload });
    },
    servicerSays(openKfid, externalUserid, servicer, content) {
      const session = sessionOf(openKfid, externalUserid);
      if (session.state === 4) statusChange(openKfid, externalUserid, 4, { new_servicer_userid: servicer });
      Object.assign(session, { state: 3, servicer, moved: true });
      const parties = { open_kfid: openKfid, external_userid: externalUserid, servicer_userid: servicer };
      return push(openKfid, { origin: 5, send_time: now(), ...parties, msgtype: 'text', text: { content } });
    },
    enterSession(openKfid, externalUserid, { welcome = true, sendTime = now() } = {}) {
      sessionOf(openKfid, externalUserid);
      const welcomeCode = welcome ? issueCode('welcome', openKfid, externalUserid) : undefined;
      event(
        openKfid,
        { event_type: 'enter_session', external_userid: externalUserid, scene: '', ...(welcomeCode ? { welcome_code: welcomeCode } : {}) },
        sendTime,
      );
    },
    takeOver(openKfid, externalUserid, servicer) {
      Object.assign(sessionOf(openKfid, externalUserid), { state: 3, servicer, moved: true });
      statusChange(openKfid, externalUserid, 1, { new_servicer_userid: servicer, msg_code: issueCode('taken', openKfid, externalUserid) });
    },
    endSession(openKfid, externalUserid) {
      const session = sessionOf(openKfid, externalUserid);
      const servicer = session.servicer;
      Object.assign(session, { state: 4, servicer: undefined });
      statusChange(openKfid, externalUserid, 3, {
        ...(servicer ? { old_servicer_userid: servicer } : {}),
        msg_code: issueCode('ended', openKfid, externalUserid),
      });
    },
    sendFailed: (openKfid, externalUserid, failMsgid, failType) =>
      event(openKfid, { event_type: 'msg_send_fail', external_userid: externalUserid, fail_msgid: failMsgid, fail_type: failType }),
    state: (openKfid, externalUserid) => sessions.get(`${openKfid}|${externalUserid}`)?.state ?? 4,
    callbackToken(openKfid, ttlMs = 10 * 60 * 1000) {
      const token = `ENC${randomBytes(18).toString('base64url')}`;
      tokens.set(token, { openKfid, expiresAt: Date.now() + ttlMs });
      return token;
    },
    setPageSize(size) {
      pageSize = size;
    },
    emptyPageNext(openKfid) {
      accounts.get(openKfid)!.emptyNext = true;
    },
    loseNextSendAnswer() {
      loseAnswer = true;
    },
    reset() {
      kf.sent.length = 0;
      kf.eventSends.length = 0;
      kf.syncCalls.length = 0;
      kf.transfers.length = 0;
      loseAnswer = false;
    },
  };

  function now(): number {
    return Math.floor(Date.now() / 1000);
  }

  function sessionOf(openKfid: string, externalUserid: string): Session {
    const key = `${openKfid}|${externalUserid}`;
    const known = sessions.get(key);
    if (known) return known;
    const session: Session = { state: 4, moved: false, lastCustomerAt: 0, sendsSince: 0 };
    sessions.set(key, session);
    return session;
  }

  function push(openKfid: string, message: Omit<FakeKfMsg, 'msgid'>): string {
    const account = accounts.get(openKfid);
    if (!account) throw new Error(`fake kf: no account ${openKfid} (addAccount first)`);
    const msgid = `from_msgid_${Date.now()}${String(++counter).padStart(6, '0')}`;
    account.log.push({ msgid, ...message } as FakeKfMsg);
    return msgid;
  }

  function event(openKfid: string, event: Record<string, unknown>, sendTime = now()): void {
    push(openKfid, { origin: 4, send_time: sendTime, msgtype: 'event', event: { open_kfid: openKfid, ...event } });
  }

  function statusChange(openKfid: string, externalUserid: string, changeType: number, extra: Record<string, unknown>): void {
    event(openKfid, { event_type: 'session_status_change', external_userid: externalUserid, change_type: changeType, ...extra });
  }

  function issueCode(purpose: FakeKfEventSend['purpose'], openKfid: string, externalUserid: string): string {
    const code = `CODE_${purpose}_${randomBytes(8).toString('hex')}`;
    codes.set(code, { purpose, openKfid, externalUserid, expiresAt: Date.now() + CODE_MS[purpose] });
    return code;
  }

  const cursorOf = (openKfid: string, index: number) => Buffer.from(`${openKfid}:${index}`).toString('base64url');
  const indexOf = (openKfid: string, cursor: string) => {
    const [account, index] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
    return account === openKfid && /^\d+$/.test(index ?? '') ? Number(index) : undefined;
  };

  function sync(body: Record<string, unknown>): FakeResponse {
    const openKfid = typeof body.open_kfid === 'string' ? body.open_kfid : '';
    const cursor = typeof body.cursor === 'string' ? body.cursor : undefined;
    const token = typeof body.token === 'string' ? body.token : undefined;
    kf.syncCalls.push({ openKfid, ...(cursor !== undefined ? { cursor } : {}), ...(token !== undefined ? { token } : {}), at: Date.now() });
    if (openKfid === '') return json({ errcode: 40058, errmsg: 'field `open_kfid` unexpected empty string. invalid Request Parameter' });
    const account = accounts.get(openKfid);
    if (!account) return json({ errcode: 95000, errmsg: 'invalid open_kfid' });
    if (cursor === '' || token === '') return json({ errcode: 40058, errmsg: 'unexpected empty string. invalid Request Parameter' });
    if (token !== undefined) {
      const known = tokens.get(token);
      if (!known || known.openKfid !== openKfid || known.expiresAt <= Date.now())
        return json({ errcode: FAKE_BAD_TOKEN_ERRCODE, errmsg: 'invalid msg token' });
    }
    const limit = Math.min(Number(body.limit ?? 1000), 1000, pageSize);
    const oldest = account.log.findIndex((message) => message.send_time * 1000 >= Date.now() - THREE_DAYS_MS);
    const start = cursor === undefined ? (oldest < 0 ? account.log.length : oldest) : indexOf(openKfid, cursor);
    if (start === undefined) return json({ errcode: 95002, errmsg: 'invalid cursor' });
    if (account.emptyNext) {
      account.emptyNext = false;
      return json({ errcode: 0, errmsg: 'ok', next_cursor: cursorOf(openKfid, start), has_more: 1, msg_list: [] });
    }
    const page = account.log.slice(start, start + limit);
    const next = start + page.length;
    // Events name the account and the customer only inside `event`.
    return json({
      errcode: 0,
      errmsg: 'ok',
      next_cursor: cursorOf(openKfid, next),
      has_more: next < account.log.length ? 1 : 0,
      msg_list: page,
    });
  }

  function send(body: Record<string, unknown>): FakeResponse {
    const openKfid = String(body.open_kfid ?? '');
    const touser = String(body.touser ?? '');
    const account = accounts.get(openKfid);
    if (!account) return json({ errcode: 95000, errmsg: 'invalid open_kfid' });
    const msgid = body.msgid === undefined ? `auto_${++counter}` : String(body.msgid);
    if (msgid === '' || msgid.length > 32 || !/^[0-9a-zA-Z_-]+$/.test(msgid))
      return json({ errcode: 40058, errmsg: `invalid msgid ${JSON.stringify(msgid)}` });
    if (account.usedMsgids.has(msgid)) return json({ errcode: FAKE_REPEATED_MSGID_ERRCODE, errmsg: 'msgid already used in this account' });
    const msgtype = String(body.msgtype ?? '');
    const payload = body[msgtype] as { content?: string; media_id?: string } | undefined;
    if (!payload) return json({ errcode: 41009, errmsg: `missing ${msgtype}` });
    if (payload.content !== undefined && Buffer.byteLength(payload.content) > MAX_TEXT_BYTES)
      return json({ errcode: 44004, errmsg: 'content over 2048 bytes' });
    const session = sessionOf(openKfid, touser);
    if (session.state !== 0 && session.state !== 1) return json({ errcode: 95018, errmsg: 'send msg session status invalid' });
    if (Date.now() - session.lastCustomerAt > WINDOW_MS || session.sendsSince >= 5)
      return json({ errcode: 95001, errmsg: 'send msg count limit' });
    session.state = 1;
    session.sendsSince += 1;
    account.usedMsgids.add(msgid);
    const sent: FakeKfSent = { openKfid, touser, msgid, msgtype, body, at: Date.now() };
    kf.sent.push(sent);
    options.notify();
    if (loseAnswer) {
      loseAnswer = false;
      return { drop: true };
    }
    return json({ errcode: 0, errmsg: 'ok', msgid });
  }

  function sendOnEvent(body: Record<string, unknown>): FakeResponse {
    const code = String(body.code ?? '');
    const known = codes.get(code);
    if (!known || known.expiresAt <= Date.now()) return json({ errcode: FAKE_BAD_CODE_ERRCODE, errmsg: 'invalid or expired code' });
    const session = sessionOf(known.openKfid, known.externalUserid);
    // Besides the welcome, a code works only while the session is still in the state it was given for.
    const stateFor = { welcome: session.state, pool: 2, taken: 3, ended: 4 }[known.purpose];
    if (session.state !== stateFor) return json({ errcode: 95018, errmsg: 'send msg session status invalid' });
    codes.delete(code);
    const content = String((body.text as { content?: string } | undefined)?.content ?? '');
    kf.eventSends.push({ code, purpose: known.purpose, openKfid: known.openKfid, touser: known.externalUserid, content, at: Date.now() });
    options.notify();
    return json({ errcode: 0, errmsg: 'ok', msgid: String(body.msgid ?? `auto_${++counter}`) });
  }

  function trans(body: Record<string, unknown>): FakeResponse {
    const openKfid = String(body.open_kfid ?? '');
    const externalUserid = String(body.external_userid ?? '');
    const state = Number(body.service_state);
    const servicer = typeof body.servicer_userid === 'string' ? body.servicer_userid : undefined;
    if (!accounts.has(openKfid)) return json({ errcode: 95000, errmsg: 'invalid open_kfid' });
    const session = sessionOf(openKfid, externalUserid);
    if (!MOVES[session.state]?.includes(state))
      return json({ errcode: 95016, errmsg: `service state ${session.state} cannot change to ${state}` });
    if (state === 3 && !servicer) return json({ errcode: 95014, errmsg: 'servicer_userid required' });
    kf.transfers.push({ openKfid, externalUserid, state, ...(servicer ? { servicer } : {}) });
    const first = (state === 2 || state === 3) && !session.moved;
    Object.assign(session, { state, servicer: state === 3 ? servicer : undefined, moved: session.moved || state === 2 || state === 3 });
    const code = first
      ? issueCode(state === 2 ? 'pool' : 'taken', openKfid, externalUserid)
      : state === 4
        ? issueCode('ended', openKfid, externalUserid)
        : undefined;
    return json({ errcode: 0, errmsg: 'ok', ...(code ? { msg_code: code } : {}) });
  }

  function handle(api: FakeKfApi, body: Record<string, unknown>): FakeResponse {
    switch (api) {
      case 'kf/sync_msg':
        return sync(body);
      case 'kf/send_msg':
        return send(body);
      case 'kf/send_msg_on_event':
        return sendOnEvent(body);
      case 'kf/service_state/get': {
        const session = sessionOf(String(body.open_kfid ?? ''), String(body.external_userid ?? ''));
        return json({
          errcode: 0,
          errmsg: 'ok',
          service_state: session.state,
          ...(session.state === 3 && session.servicer ? { servicer_userid: session.servicer } : {}),
        });
      }
      case 'kf/service_state/trans':
        return trans(body);
      case 'kf/customer/batchget': {
        const ids = Array.isArray(body.external_userid_list) ? (body.external_userid_list as string[]) : [];
        if (ids.length < 1 || ids.length > 100) return json({ errcode: 40058, errmsg: 'external_userid_list must hold 1 to 100 ids' });
        return json({
          errcode: 0,
          errmsg: 'ok',
          customer_list: ids
            .filter((id) => customers.has(id))
            .map((id) => ({ external_userid: id, nickname: customers.get(id), avatar: '', gender: 0 })),
          invalid_external_userid: ids.filter((id) => !customers.has(id)),
        });
      }
      case 'kf/account/list': {
        const offset = Number(body.offset ?? 0);
        const limit = Number(body.limit ?? 100);
        const list = [...accounts].map(([openKfid, account]) => ({
          open_kfid: openKfid,
          name: account.name,
          avatar: '',
          manage_privilege: account.managePrivilege,
        }));
        return json({ errcode: 0, errmsg: 'ok', account_list: list.slice(offset, offset + limit) });
      }
    }
  }

  return { kf, handle };
}
