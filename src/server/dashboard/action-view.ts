/**
 * One action row of the API, reduced to what the pages show. The actions API belongs to the remediation stage; the
 * dashboard reads its documented columns (DESIGN §2: status, risk, params, decided_by, output, outcome) and tolerates
 * missing ones, so a new column never breaks a page.
 */
export interface ActionView {
  id: string;
  issueId: string | undefined;
  type: string;
  risk: string | undefined;
  status: string;
  params: unknown;
  paramsHash: string | undefined;
  reason: string | undefined;
  decision: string | undefined;
  decisionReason: string | undefined;
  decidedBy: string | undefined;
  output: string | undefined;
  outcome: string | undefined;
  verification: string | undefined;
  error: string | undefined;
  createdAt: number | undefined;
  decidedAt: number | undefined;
  executedAt: number | undefined;
  finishedAt: number | undefined;
  dryRun: boolean;
  expiresAt: number | undefined;
}

function text(row: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = row[k];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (v !== null && typeof v === 'object') return JSON.stringify(v, null, 2);
  }
  return undefined;
}

function time(row: Record<string, unknown>, ...keys: string[]): number | undefined {
  for (const k of keys) {
    const v = row[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

function parsedParams(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

export function toActionView(row: Record<string, unknown>): ActionView {
  return {
    id: text(row, 'id') ?? '?',
    issueId: text(row, 'issue_id'),
    type: text(row, 'action_type', 'type') ?? 'unknown',
    risk: text(row, 'risk', 'risk_level'),
    status: text(row, 'status') ?? 'unknown',
    params: parsedParams(row.params ?? row.parameters),
    paramsHash: text(row, 'params_hash'),
    reason: text(row, 'reason', 'proposal_reason'),
    decision: text(row, 'decision'),
    decisionReason: text(row, 'decision_reason', 'gate_reason'),
    decidedBy: text(row, 'decided_by', 'approved_by'),
    output: text(row, 'output'),
    outcome: row.success === true || row.success === 1 ? 'succeeded' : row.success === false || row.success === 0 ? 'failed' : text(row, 'outcome'),
    verification: text(row, 'verification', 'verified', 'verification_result'),
    error: text(row, 'error'),
    createdAt: time(row, 'created_at', 'proposed_at'),
    decidedAt: time(row, 'decided_at', 'approved_at'),
    executedAt: time(row, 'executed_at', 'finished_at'),
    finishedAt: time(row, 'finished_at'),
    dryRun: row.dry_run === true || row.dry_run === 1,
    expiresAt: time(row, 'expires_at'),
  };
}

/** A short summary of an action's parameters: `pid=42 name=stress`. */
export function describeParams(params: unknown): string {
  if (params === null || params === undefined) return '';
  if (typeof params !== 'object') return String(params);
  return Object.entries(params as Record<string, unknown>)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}
