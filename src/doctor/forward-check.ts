import type { CoreConfig } from '../config/schema.js';
import { type DoctorCheck, fail, pass } from './doctor-check.js';

/**
 * forward.url answers HTTP at all (any status: a HEAD tells nothing about the receiver's route, and
 * a POST would put a message into the site); a refused connection or a timeout is a failure.
 */
export function forwardCheck(config: Pick<CoreConfig, 'forward'>, timeoutMs: number): DoctorCheck[] {
  const { url } = config.forward;
  if (!url) return [];
  return [
    {
      name: 'forward.url',
      async run() {
        const host = new URL(url).host;
        try {
          const response = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
          return pass(`${host} answers (HTTP ${response.status} to a HEAD): forwarded messages can be posted there`);
        } catch (error) {
          const cause = (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message;
          return fail(
            `${host} does not answer: ${cause}`,
            'start the receiving site, or set forward.url to where it listens (messages wait in the queue meanwhile)',
          );
        }
      },
    },
  ];
}
