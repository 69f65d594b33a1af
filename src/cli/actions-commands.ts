import { InvalidArgumentError, type Command } from 'commander';
import { recordingRemediation } from '../main.js';
import type { Remediation } from '../pipeline/remediation.js';
import { parseActionStatuses } from '../model/action.js';
import type { ActionRecord } from '../model/action.js';
import { printJson, withContext, type CliContext } from './context.js';
import { isoTime, relativeTime, safeText, table } from './format.js';

function limitOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function secondsOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 600) throw new InvalidArgumentError('must be between 0 and 600 seconds');
  return n;
}

/** The CLI records decisions only; the running agent (`opsagent run`) executes approved actions on its machine. */
async function remediationOf(ctx: CliContext): Promise<Remediation> {
  return recordingRemediation(ctx.config, await ctx.store(), ctx.logger);
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

export function registerActionCommands(program: Command): void {
  program
    .command('actions-list')
    .description('list remediation actions, newest first (pending approvals, executed, denied…)')
    .option('--status <list>', 'comma list of statuses (pending = pending_approval; all)')
    .option('--issue <id>', 'only the actions of this issue (id or unique prefix)')
    .option('--limit <n>', 'at most n actions', limitOption, 50)
    .option('--json', 'machine-readable output')
    .action(
      withContext(program, async (ctx, opts: { status?: string; issue?: string; limit: number; json?: boolean }) => {
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
      }),
    );

  program
    .command('actions-approve')
    .description('approve a pending action (single-use); the running agent executes it')
    .argument('<id>', 'action id or a unique prefix')
    .option('--by <name>', 'who approves', process.env.USER ?? 'human')
    .option('--wait <seconds>', 'how long to wait for the running agent to execute it', secondsOption, 10)
    .option('--json', 'machine-readable output')
    .action(
      withContext(program, async (ctx, id: string, opts: { by: string; wait: number; json?: boolean }) => {
        const rem = await remediationOf(ctx);
        const approved = await rem.approve(id, opts.by);
        const a = opts.wait > 0 ? await waitForOutcome(rem, approved.id, opts.wait) : approved;
        if (opts.json) return printJson(a);
        if (a.status === 'approved') {
          console.log(`${a.id} approved by ${safeText(opts.by)}; the running agent (opsagent run) executes it within a few seconds`);
          return;
        }
        console.log(renderAction(a));
      }),
    );

  program
    .command('actions-reject')
    .description('reject a pending action; it will not run')
    .argument('<id>', 'action id or a unique prefix')
    .option('--by <name>', 'who rejects', process.env.USER ?? 'human')
    .option('--reason <text>', 'why')
    .option('--json', 'machine-readable output')
    .action(
      withContext(program, async (ctx, id: string, opts: { by: string; reason?: string; json?: boolean }) => {
        const rem = await remediationOf(ctx);
        const a = await rem.reject(id, opts.by, opts.reason);
        if (opts.json) return printJson(a);
        console.log(`${a.id} rejected by ${safeText(opts.by)}${opts.reason ? `: ${safeText(opts.reason)}` : ''}`);
      }),
    );
}
