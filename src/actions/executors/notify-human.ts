import type { ActionParams } from '../../model/action-catalog.js';
import type { Executor } from './types.js';

/** A notification, not a remediation: the record itself is the effect; the Discord stage delivers it. */
export const notifyHuman: Executor = async (raw) => {
  const params = raw as ActionParams<'notify_human'>;
  return { success: true, summary: `Human notified: ${params.message.split('\n')[0]!.slice(0, 200)}`, output: params.message };
};
