import { AppError, errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { BUTTON_VERBS, type ButtonVerb } from '../../notify/channels/types.js';
import type { ApprovalPort } from './discord.js';

/** What the Snooze button needs: the silences service's snooze (pipeline/silences.ts). */
export interface SnoozePort {
  snooze(issueId: string, by: string, options: { duration?: string; comment?: string }): Promise<{ id: string; ends_at: number | null }>;
}

const DONE: Record<ButtonVerb, string> = { approve: 'approved', reject: 'rejected', snooze: 'snoozed' };

/** Replay protection of the button routes: each interaction decides once (store/channel-repository.ts). */
export interface InteractionStore {
  claimInteraction(channel: string, interactionId: string, userId: string | null, now: number): Promise<boolean>;
  setInteractionOutcome(channel: string, interactionId: string, outcome: string): Promise<void>;
}

/** What the Slack and Telegram button routes both need, beside their channels. */
export interface ButtonRouteDeps {
  approvals: ApprovalPort;
  /** The Snooze button (silences); absent: the button answers that snoozing is not available. */
  snoozer?: SnoozePort | undefined;
  interactions: InteractionStore;
  logger: Logger;
  now?: () => number;
  /** Other handlers for the buttons (tests); default: Approve / Reject / Snooze. */
  handlers?: ButtonHandlers;
  answerWithinMs?: number;
}

/** What a click did, in a sentence for the person who clicked. */
export interface ButtonResult {
  ok: boolean;
  text: string;
}

/**
 * The one place a channel button becomes a decision, for Slack and Telegram alike (Discord's route keeps its own).
 * A new button is a verb in BUTTON_VERBS (notify/channels/types.ts) plus an entry here; each channel carries the verb
 * in its action id / callback data.
 */
export type ButtonHandlers = Record<ButtonVerb, (targetId: string, by: string) => Promise<ButtonResult>>;

export function buttonHandlers(port: ApprovalPort, snoozer: SnoozePort | undefined, where: string): ButtonHandlers {
  return {
    approve: async (id, by) => {
      const a = await port.approve(id, by);
      return { ok: true, text: `✅ Approved by ${by}: action ${id} is ${a.status}.` };
    },
    reject: async (id, by) => {
      await port.reject(id, by, `rejected in ${where}`);
      return { ok: true, text: `❌ Rejected by ${by}: action ${id} will not run.` };
    },
    snooze: async (issueId, by) => {
      if (!snoozer) throw new AppError('CONFLICT', 'snoozing is not available on this agent');
      const s = await snoozer.snooze(issueId, by, { duration: '1h', comment: `snoozed from ${where}` });
      const until = s.ends_at === null ? '' : ` until ${new Date(s.ends_at).toISOString().slice(11, 16)} UTC`;
      return { ok: true, text: `💤 Snoozed by ${by}${until}: no messages and no automatic action on ${issueId} (${s.id}); the action still waits for a decision.` };
    },
  };
}

export function isButtonVerb(v: string): v is ButtonVerb {
  return (BUTTON_VERBS as readonly string[]).includes(v);
}

/**
 * Runs the handler, answering within answerWithinMs: a decision commits in milliseconds, but an approved action
 * may still be running, and Slack and Telegram want their answer within seconds.
 */
export async function runButton(
  handlers: ButtonHandlers,
  verb: ButtonVerb,
  targetId: string,
  by: string,
  options: { answerWithinMs: number; logger: Logger },
): Promise<ButtonResult> {
  const decision = handlers[verb](targetId, by);
  const timer = new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), options.answerWithinMs).unref());
  const outcome = await Promise.race([decision.then((r) => ({ r }), (err: unknown) => ({ err })), timer]);
  if (outcome === 'pending') {
    decision.catch((err: unknown) => options.logger.warn({ targetId, err: errorMessage(err) }, 'button decision failed after the answer'));
    return { ok: true, text: `${DONE[verb]} by ${by}; see the issue page for the result.` };
  }
  if ('r' in outcome) return outcome.r;
  const err = outcome.err;
  if (err instanceof AppError && (err.code === 'CONFLICT' || err.code === 'NOT_FOUND' || err.code === 'ACTION_DENIED' || err.code === 'INPUT_INVALID')) {
    return { ok: false, text: `⚠️ Not ${DONE[verb]}: ${err.message}` };
  }
  options.logger.error({ targetId, err: errorMessage(err) }, 'button decision failed');
  return { ok: false, text: `Could not record the decision: ${errorMessage(err).slice(0, 200)}` };
}

/** A person's name as the audit trail shows it: "slack:alice". */
export function deciderName(prefix: string, name: string | undefined, id: string): string {
  const clean = (name ?? '').replace(/[^\w.-]/g, '').slice(0, 60);
  return `${prefix}:${clean || id}`;
}
