import type { DigestActions, DigestCounts, NotificationRepository } from '../store/notification-repository.js';
import type { Embed } from './embed-limits.js';
import { clampEmbed } from './embed-limits.js';
import type { RenderContext } from './notification-types.js';
import { COLORS, issueUrl } from './render.js';

export interface DigestData {
  fromMs: number;
  toMs: number;
  issues: DigestCounts;
  actions: DigestActions;
}

export async function collectDigest(repo: NotificationRepository, toMs: number, hours = 24): Promise<DigestData> {
  const fromMs = toMs - hours * 3_600_000;
  return { fromMs, toMs, issues: await repo.digestCounts(fromMs, toMs), actions: await repo.digestActions(fromMs, toMs) };
}

/** Nothing happened and nothing waits: such a digest is not sent. */
export function isEmptyDigest(d: DigestData): boolean {
  const i = d.issues;
  return i.opened === 0 && i.resolved === 0 && i.stillOpen === 0 && d.actions.executed.length === 0 && d.actions.pendingApprovals.length === 0;
}

function actionLines(d: DigestData): string[] {
  if (!d.actions.available) return ['(no actions table)'];
  if (d.actions.executed.length === 0) return ['none'];
  return d.actions.executed.map(
    (a) => `${a.action_type}: ${a.executed} executed, ${a.succeeded} succeeded, ${a.verified} verified, ${a.not_verified} not verified`,
  );
}

/** The digest as plain text for `opsagent digest`. */
export function digestText(d: DigestData, ctx: RenderContext): string {
  const hours = Math.round((d.toMs - d.fromMs) / 3_600_000);
  const lines = [
    `OpsAgent digest: last ${hours} h (${new Date(d.fromMs).toISOString()} – ${new Date(d.toMs).toISOString()})`,
    '',
    `Issues opened: ${d.issues.opened}`,
    `Issues resolved: ${d.issues.resolved}`,
    `Still open: ${d.issues.stillOpen}`,
  ];
  if (d.issues.criticalOpen.length > 0) {
    lines.push('', 'Open critical issues:', ...d.issues.criticalOpen.map((i) => `  ${i.id}  ${i.title} on ${i.server_id} (${i.alert_count} firings)`));
  }
  lines.push('', 'Actions executed:', ...actionLines(d).map((l) => `  ${l}`));
  lines.push('', `Pending approvals: ${d.actions.pendingApprovals.length}`);
  for (const p of d.actions.pendingApprovals) lines.push(`  ${p.id}  ${p.action_type} on ${p.issue_id}  (opsagent actions-approve ${p.id} --by <name>)`);
  lines.push('', 'Noisiest alerts:');
  if (d.issues.noisiest.length === 0) lines.push('  none');
  for (const n of d.issues.noisiest) lines.push(`  ${n.alert_count} firings  ${n.title} on ${n.server_id} (${n.status}, ${n.id})`);
  lines.push('', `Dashboard: ${ctx.publicUrl}/`);
  return lines.join('\n');
}

/** The digest as one Discord embed (limits applied). */
export function digestEmbeds(d: DigestData, ctx: RenderContext): Embed[] {
  const hours = Math.round((d.toMs - d.fromMs) / 3_600_000);
  const critical = d.issues.criticalOpen.map((i) => `[${i.title} on ${i.server_id}](${issueUrl(ctx, i.id)})`).join('\n');
  const noisy = d.issues.noisiest.map((n) => `${n.alert_count}× ${n.title} on ${n.server_id} (${n.status})`).join('\n');
  const pending = d.actions.pendingApprovals.map((p) => `${p.action_type} · \`opsagent actions-approve ${p.id} --by <name>\``).join('\n');
  return [
    clampEmbed({
      title: `📋 Daily digest: last ${hours} h`,
      url: `${ctx.publicUrl}/`,
      color: COLORS.info,
      timestamp: new Date(d.toMs).toISOString(),
      fields: [
        { name: 'Opened', value: String(d.issues.opened), inline: true },
        { name: 'Resolved', value: String(d.issues.resolved), inline: true },
        { name: 'Still open', value: String(d.issues.stillOpen), inline: true },
        ...(critical ? [{ name: 'Open critical issues', value: critical }] : []),
        { name: 'Actions executed', value: actionLines(d).join('\n') },
        { name: `Pending approvals (${d.actions.pendingApprovals.length})`, value: pending || 'none' },
        { name: 'Noisiest alerts', value: noisy || 'none' },
      ],
    }),
  ];
}
