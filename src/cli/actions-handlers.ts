import type { Remediation } from '../pipeline/remediation.js';
import { recordingRemediation } from '../pipeline/store-setup.js';
import { parseActionStatuses } from '../model/action.js';
import type { ActionRecord } from '../model/action.js';
import { printJson, type CliContext } from './context.js';
import { isoTime, relativeTime, safeText, table } from './format.js';

/** The CLI records decisions only; the running agent (`opsagent run`) executes approved actions on its machine. */
async function remediationOf(ctx: CliContext): Promise<Remediation> {
  return recordingRemediation(ctx.config, await ctx.store(), await ctx.logger());
}

function params(a: ActionRecord): string {
  const text = JSON.stringify(a.params);
  return safeText(text === '{}' ? '' : text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

function when(a: ActionRecord): string {
  if (a.status === 'pending_approval' && a.expires_at) return `expires in ${Math.max(0, Math.round((a.expires_at - Date.now()) / 60_000))}m`;
  return relativeTime(a.finished_at ?? a.decided_at ?? a.created_at);
}

export function actionLine(a: ActionRecord): string[] {
  return [
    a.id,
    a.status + (a.verification && a.verification !== 'pending' ? ` (${a.verification})` : ''),
    `${a.action_type} ${params(a)}`.trim(),
    a.risk,
    a.issue_id,
    safeText(a.decided_by ?? '-'),
    when(a),
  ];
}

export function renderAction(a: ActionRecord): string {
  return [
    `${a.id}  [${a.status}] ${a.action_type} (${a.risk} risk) on ${a.issue_id}`,
    `  params: ${safeText(JSON.stringify(a.params))}  (params_hash ${a.params_hash})`,
    a.reason ? `  proposed because: ${safeText(a.reason)}` : '',
    a.decision_reason ? `  decision: ${safeText(a.decision_reason)}${a.decided_by ? ` — ${safeText(a.decided_by)}` : ''}` : '',
    a.expires_at && a.status === 'pending_approval' ? `  expires ${isoTime(a.expires_at)}` : '',
    a.executed_at ? `  executed ${isoTime(a.executed_at)}${a.dry_run ? ' (dry run)' : ''}; success: ${String(a.success)}` : '',
    a.verification ? `  verification: ${a.verification}` : '',
    a.output ? `  output:\n${safeText(a.output).split('\n').slice(0, 20).map((l) => `    ${l}`).join('\n')}` : '',
  ].filter(Boolean).join('\n');
}

/** Polls the row while a running agent picks up the approval, so the operator sees the outcome. */
async function waitForOutcome(rem: Remediation, id: string, seconds: number): Promise<ActionRecord> {
  const deadline = Date.now() + seconds * 1000;
  let a = (await rem.repository.get(id))!;
  while ((a.status === 'approved' || a.status === 'executing') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    a = (await rem.repository.get(id))!;
  }
  return a;
}

export async function actionsList(ctx: CliContext, opts: { status?: string; issue?: string; limit: number; json?: boolean }): Promise<void> {
  const statuses = parseActionStatuses(opts.status);
  const rem = await remediationOf(ctx);
  const store = await ctx.store();
  const issueId = opts.issue ? await store.issues.resolveId(opts.issue) : undefined;
  const list = await rem.repository.list({ ...(statuses ? { statuses } : {}), ...(issueId ? { issueId } : {}), limit: opts.limit });
  if (opts.json) return printJson(list);
  if (list.length === 0) {
    console.log(`no ${statuses ? statuses.join('/') : ''} actions`.replace('  ', ' '));
    return;
  }
  console.log(table(['ID', 'STATUS', 'ACTION', 'RISK', 'ISSUE', 'DECIDED BY', 'WHEN'], list.map(actionLine)));
}

export async function actionsApprove(ctx: CliContext, id: string, opts: { by: string; wait: number; json?: boolean }): Promise<void> {
  const rem = await remediationOf(ctx);
  const approved = await rem.approve(id, opts.by);
  const a = opts.wait > 0 ? await waitForOutcome(rem, approved.id, opts.wait) : approved;
  if (opts.json) return printJson(a);
  if (a.status === 'approved') {
    console.log(`${a.id} approved by ${safeText(opts.by)}; the running agent (opsagent run) executes it within a few seconds`);
    return;
  }
  console.log(renderAction(a));
}

export async function actionsReject(ctx: CliContext, id: string, opts: { by: string; reason?: string; json?: boolean }): Promise<void> {
  const rem = await remediationOf(ctx);
  const a = await rem.reject(id, opts.by, opts.reason);
  if (opts.json) return printJson(a);
  console.log(`${a.id} rejected by ${safeText(opts.by)}${opts.reason ? `: ${safeText(opts.reason)}` : ''}`);
}
