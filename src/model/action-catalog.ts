import { z } from 'zod';
import { zodProblem } from '../errors.js';

/** The remediation catalog (DESIGN §4): every action type, its risk, and the schema its parameters must satisfy. */
export type Risk = 'low' | 'medium' | 'high';

export const ACTION_TYPES = [
  'notify_human',
  'clear_cache',
  'log_analysis',
  'cleanup_disk',
  'kill_process',
  'restart_service',
  'custom_command',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

const processName = z.string().min(1).max(64).regex(/^[^\u0000-\u001f/]+$/, 'must be a process name without / or control characters');
const unit = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9@._:-]+$/, 'must be a systemd unit name ([A-Za-z0-9@._:-])')
  .refine((s) => !s.startsWith('-'), 'must not start with -');

export const ACTION_PARAMS = {
  notify_human: z.strictObject({ message: z.string().min(1).max(2_000) }),
  clear_cache: z.strictObject({}),
  log_analysis: z.strictObject({
    minutes: z.number().int().min(1).max(1_440).default(30),
    pattern: z.string().max(200).optional(),
  }),
  cleanup_disk: z.strictObject({
    path: z.string().min(1).max(4_096).refine((p) => p.startsWith('/'), 'must be an absolute path'),
    olderThanDays: z.number().min(0).max(3_650).optional(),
  }),
  kill_process: z.strictObject({
    pid: z.number().int().min(2).max(4_194_304),
    name: processName,
    /** Process start time in clock ticks since boot (/proc/PID/stat field 22), to refuse a reused PID. */
    startTime: z.number().int().min(0).optional(),
    signal: z.enum(['SIGTERM', 'SIGKILL']).default('SIGTERM'),
  }),
  restart_service: z.strictObject({ service: unit }),
  custom_command: z.strictObject({
    argv: z.array(z.string().max(4_096)).min(1).max(64),
    shell: z.boolean().default(false),
  }),
} satisfies Record<ActionType, z.ZodType>;

export type ActionParams<T extends ActionType> = z.infer<(typeof ACTION_PARAMS)[T]>;

export const ACTION_RISK: Record<ActionType, Risk> = {
  notify_human: 'low',
  clear_cache: 'low',
  log_analysis: 'low',
  cleanup_disk: 'low',
  kill_process: 'medium',
  restart_service: 'medium',
  custom_command: 'high',
};

export const ACTION_DESCRIPTIONS: Record<ActionType, string> = {
  notify_human: 'Tell a human; never gated, never counted against the hourly limit.',
  clear_cache: 'Drop the kernel page cache (or run the configured cache-clearing command).',
  log_analysis: 'Read-only: summarise recent error lines from the journal/syslog around the issue.',
  cleanup_disk: 'Delete files older than N days under a configured cleanup root (default /tmp, /var/tmp).',
  kill_process: 'Send SIGTERM (then SIGKILL after a grace period) to one process, verified by PID and name.',
  restart_service: 'Restart one systemd service (a .service unit, or a bare name meaning one); never targets, sockets, system or session units, the agent itself or protected services.',
  custom_command: 'Run an arbitrary command (full mode only).',
};

export function isActionType(value: string): value is ActionType {
  return (ACTION_TYPES as readonly string[]).includes(value);
}

/** A proposal as analysis makes it: untrusted until validated against the catalog. */
export interface RawProposal {
  type: string;
  params?: unknown;
  reason?: string;
}

export interface ValidProposal {
  type: ActionType;
  risk: Risk;
  params: Record<string, unknown>;
  reason: string;
}

export type ProposalCheck = { ok: true; proposal: ValidProposal } | { ok: false; type: string; reason: string };

/** Checks type and parameter shape (not the machine state: executors re-check PIDs and paths before acting). */
export function validateProposal(raw: RawProposal): ProposalCheck {
  if (!isActionType(raw.type)) return { ok: false, type: String(raw.type).slice(0, 64), reason: `unknown action type "${String(raw.type).slice(0, 64)}"` };
  const parsed = ACTION_PARAMS[raw.type].safeParse(raw.params ?? {});
  if (!parsed.success) {
    return { ok: false, type: raw.type, reason: `invalid parameters: ${zodProblem(parsed.error, { whole: null })}` };
  }
  return {
    ok: true,
    proposal: { type: raw.type, risk: ACTION_RISK[raw.type], params: parsed.data as Record<string, unknown>, reason: (raw.reason ?? '').slice(0, 2_000) },
  };
}
