import { FormatError } from '../../../src/config/formats.js';

/** A group robot's key as WeCom shows it (a UUID). */
const KEY = /^[A-Za-z0-9-]{8,64}$/;

/** weworktop.webhooks: {"<name>": "<key or the robot's whole URL>"}. */
export function validateWebhooks(value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new FormatError('an object {"<name>": "<group robot key or webhook URL>"}', value);
  for (const [name, robot] of Object.entries(value)) {
    if (typeof robot !== 'string' || !(KEY.test(robot) || /^https?:\/\/\S+[?&]key=[^&\s]+/.test(robot)))
      throw new FormatError(`webhooks.${name} to be a group robot's key or its webhook URL (…/cgi-bin/webhook/send?key=…)`, robot, true);
  }
}
