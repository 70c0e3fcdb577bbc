import type { DoctorCheck, DoctorContext } from '../../../src/doctor/doctor-check.js';
import { appsOf, type WeworktopConfig } from '../config.js';
import { aiBotChecks } from './aibot-checks.js';
import { appChecks } from './app-checks.js';
import { callbackUrlChecks } from './url-checks.js';

/**
 * The WeCom checks of `weworktop doctor`: each app's Secret, AgentId and trusted IP against the
 * WeCom API, the apps' callback URLs from public_url, then the AI bot's (aibot-checks.ts).
 */
export async function weworktopChecks(context: DoctorContext): Promise<DoctorCheck[]> {
  const section = context.config.weworktop as WeworktopConfig;
  const apps = appsOf(section);
  return [
    ...apps.flatMap((app, index) => appChecks(app, index, section, context)),
    ...callbackUrlChecks(apps, section, context),
    ...aiBotChecks(section, context),
  ];
}
