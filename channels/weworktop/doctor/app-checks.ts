import { type CheckResult, type DoctorCheck, type DoctorContext, fail, pass, skip } from '../../../src/doctor/doctor-check.js';
import type { AppCredentials, WeworktopConfig } from '../config.js';
import { type AgentInfo, WeComApiClient } from '../wecom/api-client.js';
import { ipFromErrmsg, UNTRUSTED_IP_ERRCODE, WeComApiError } from '../wecom/api-error.js';

/** Where a 60020's IP is added (the console opens the app list; the app's page has the setting). */
const TRUSTED_IP_PAGE = 'https://work.weixin.qq.com/wework_admin/frame#apps → the app → 企业可信IP (开发者接口)';

interface AppProbe {
  secret: CheckResult;
  agent: CheckResult;
  trustedIp: CheckResult;
}

/**
 * Three lines per app, from two calls: gettoken (corp_id and the Secret), agent/get (the AgentId
 * is this Secret's app and someone can see it), and whether WeCom accepts this server's IP (60020
 * on either). A failure shows once: the lines it keeps from being judged are skipped.
 */
export function appChecks(app: AppCredentials, index: number, section: WeworktopConfig, context: DoctorContext): DoctorCheck[] {
  let probe: Promise<AppProbe> | undefined;
  const probed = () => (probe ??= probeApp(app, index, section, context));
  const label = `app ${app.agent_id}`;
  return [
    { name: `${label}: Secret`, run: async () => (await probed()).secret },
    { name: `${label}: AgentId`, run: async () => (await probed()).agent },
    { name: `${label}: trusted IP`, run: async () => (await probed()).trustedIp },
  ];
}

async function probeApp(app: AppCredentials, index: number, section: WeworktopConfig, context: DoctorContext): Promise<AppProbe> {
  const key = (name: string) => (index === 0 ? `weworktop.${name}` : `weworktop.agents[${index - 1}].${name}`);
  const api = new WeComApiClient({
    apiBase: section.api_base,
    corpId: section.corp_id,
    agentId: app.agent_id,
    secret: app.corp_secret,
    proxy: section.proxy,
    timeoutMs: context.timeoutMs,
    logger: context.logger,
    retries: 0,
  });
  try {
    try {
      await api.tokens.get();
    } catch (error) {
      const failure = asWeComError(error);
      if (failure.errcode === UNTRUSTED_IP_ERRCODE)
        return {
          secret: skip('gettoken refused this server\'s IP: see "trusted IP"'),
          agent: skip('not checked: no access token'),
          trustedIp: untrusted('gettoken', failure),
        };
      return {
        secret: secretProblem(failure, key, section),
        agent: skip('not checked: no access token'),
        trustedIp: skip('not checked: no access token'),
      };
    }
    const secret = pass(`gettoken issued an access token: corp_id and ${key('corp_secret')} are right`);
    let agent: AgentInfo;
    try {
      agent = await api.getAgent();
    } catch (error) {
      const failure = asWeComError(error);
      if (failure.errcode === UNTRUSTED_IP_ERRCODE)
        return { secret, agent: skip('agent/get refused this server\'s IP: see "trusted IP"'), trustedIp: untrusted('agent/get', failure) };
      if (failure.errcode === -1)
        return { secret, agent: unreachable('agent/get', failure, section), trustedIp: skip('not checked: agent/get did not reach WeCom') };
      if (failure.transient)
        return {
          secret,
          agent: fail(
            `agent/get answered errcode ${failure.errcode} (${failure.errmsg}): WeCom is busy`,
            'run the doctor again in a minute',
          ),
          trustedIp: skip('not checked: WeCom was busy'),
        };
      return {
        secret,
        agent: fail(
          `agent/get ${app.agent_id} answered errcode ${failure.errcode} (${failure.errmsg}): AgentId ${app.agent_id} is not the app of this Secret`,
          `copy AgentId and Secret from the same app page (应用管理 → the app) into ${key('agent_id')} and ${key('corp_secret')}`,
        ),
        trustedIp: pass('WeCom accepts API calls from this server'),
      };
    }
    return {
      secret,
      agent: visibleRange(app.agent_id, agent),
      trustedIp: pass('WeCom accepts API calls from this server (agent/get answered)'),
    };
  } finally {
    api.close();
  }
}

function visibleRange(agentId: string, agent: AgentInfo): CheckResult {
  const users = agent.allow_userinfos?.user?.length ?? 0;
  const departments = agent.allow_partys?.partyid?.length ?? 0;
  const tags = agent.allow_tags?.tagid?.length ?? 0;
  const name = agent.name ? `"${agent.name}"` : `app ${agentId}`;
  if (users + departments + tags === 0)
    return fail(
      `${name} belongs to this Secret but its visible range is empty: nobody can message it`,
      'add members or departments under 应用管理 → the app → 可见范围',
    );
  return pass(`AgentId ${agentId} is ${name} of this Secret, visible to ${users} member(s), ${departments} department(s), ${tags} tag(s)`);
}

function secretProblem(failure: WeComApiError, key: (name: string) => string, section: WeworktopConfig): CheckResult {
  if (failure.errcode === 40001)
    return fail(
      `gettoken answered errcode 40001 (${failure.errmsg}): the Secret is wrong`,
      `copy this app's Secret (应用管理 → the app → Secret) into ${key('corp_secret')}`,
    );
  if (failure.errcode === 40013)
    return fail(
      `gettoken answered errcode 40013 (${failure.errmsg}): the corp id is wrong`,
      'copy 企业ID (我的企业 → 企业信息) into weworktop.corp_id',
    );
  if (failure.errcode === -1) return unreachable('gettoken', failure, section);
  return fail(
    `gettoken answered errcode ${failure.errcode}: ${failure.errmsg}`,
    `look the errcode up at https://open.work.weixin.qq.com/devtool/query?e=${failure.errcode}`,
  );
}

function untrusted(api: string, failure: WeComApiError): CheckResult {
  const ip = ipFromErrmsg(failure.errmsg) ?? 'unknown';
  return fail(
    `${api} answered errcode 60020: WeCom refused this server's IP ${ip}`,
    `add ${ip} to the app's trusted IPs (${TRUSTED_IP_PAGE}; the console takes it once the callback URL is saved), or set weworktop.proxy to a proxy whose fixed IP is trusted`,
  );
}

function unreachable(api: string, failure: WeComApiError, section: WeworktopConfig): CheckResult {
  return fail(
    `${api} did not reach WeCom at ${section.api_base}: ${failure.errmsg}`,
    `check this server's network to ${new URL(section.api_base).host} (DNS, firewall)${section.proxy ? ' and weworktop.proxy' : ', or set weworktop.proxy'}`,
  );
}

function asWeComError(error: unknown): WeComApiError {
  return error instanceof WeComApiError ? error : new WeComApiError('?', -1, (error as Error).message);
}
