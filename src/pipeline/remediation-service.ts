import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Remediation } from './remediation.js';
import { every, type BackgroundService } from './service.js';

/**
 * The timer side of remediation: expires approvals, settles verification deadlines, fails actions a crash left
 * half-done and runs actions approved elsewhere. Everything it needs is in the `actions` rows, so it survives restarts.
 */
export function remediationService(remediation: Remediation, intervalMs: number, logger: Logger): BackgroundService {
  return every('remediation', intervalMs, () => remediation.scan(), (err) =>
    logger.warn({ component: 'remediation', err: errorMessage(err) }, 'remediation scan failed'),
  );
}
