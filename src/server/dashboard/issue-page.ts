import { describeParams, toActionView, type ActionView } from './action-view.js';
import type { CommentView, IssueDetailView } from './api-client.js';
import { firingChart, type ChartInput } from './firing-chart.js';
import { isoTime, relativeTime } from './format.js';
import { marksTags } from './silences-page.js';
import { html, type SafeHtml } from './html.js';
import { page, severityBadge, statusBadge, timeTag } from './layout.js';

/** The seed's icons, one per comment type. */
export const COMMENT_ICONS: Record<string, string> = {
  alert_fired: '🔔',
  analysis: '🤖',
  action: '🛠',
  status_change: '🔄',
  note: '📝',
};

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function actionOk(meta: Record<string, unknown> | null): boolean | undefined {
  if (!meta) return undefined;
  if (typeof meta.success === 'boolean') return meta.success;
  if (meta.outcome === 'succeeded' || meta.outcome === 'success') return true;
  if (meta.outcome === 'failed') return false;
  return undefined;
}

/** Action comments already begin with the seed's ✅/❌/⚠️, so the icon only names the kind of entry. */
export function commentIcon(c: CommentView): string {
  return COMMENT_ICONS[c.comment_type] ?? '•';
}

const ACTION_OK_STATUSES = new Set(['executed', 'succeeded', 'verified']);
const ACTION_FAIL_STATUSES = new Set(['failed', 'verification_failed']);

/** What the chart needs, from the comments (firings, clears) and the action rows (or action comments). */
export function chartInput(detail: IssueDetailView, actions: ActionView[], now: number): ChartInput {
  const firings: ChartInput['firings'] = [];
  const clears: number[] = [];
  const marks: ChartInput['actions'] = [];
  for (const c of detail.comments) {
    const meta = c.metadata ?? {};
    if (c.comment_type === 'alert_fired') {
      const rollup = meta.rollup as { from?: unknown; to?: unknown } | undefined;
      const from = num(rollup?.from);
      const to = num(rollup?.to);
      firings.push({ at: num(meta.occurred_at) ?? c.created_at, count: from !== undefined && to !== undefined ? Math.max(1, to - from + 1) : 1 });
    } else if (c.comment_type === 'status_change' && meta.status === 'resolved') {
      clears.push(c.created_at);
    } else if (c.comment_type === 'action' && actions.length === 0) {
      marks.push({ at: c.created_at, label: c.content.slice(0, 80), ok: actionOk(c.metadata) });
    }
  }
  for (const a of actions) {
    const at = a.executedAt;
    if (at === undefined) continue;
    const ok = a.outcome === 'succeeded' ? true : a.outcome === 'failed' ? false : ACTION_OK_STATUSES.has(a.status) ? true : ACTION_FAIL_STATUSES.has(a.status) ? false : undefined;
    marks.push({ at, label: `${a.type} (${a.status})`, ok });
  }
  return { firings, clears, actions: marks, now };
}

function evidenceList(value: unknown): SafeHtml {
  if (Array.isArray(value) && value.length > 0) {
    return html`<ul class="evidence">${value.map((e) => html`<li>${typeof e === 'string' ? e : JSON.stringify(e)}</li>`)}</ul>`;
  }
  return html``;
}

function analysisSection(detail: IssueDetailView): SafeHtml {
  const latest = [...detail.comments].reverse().find((c) => c.comment_type === 'analysis');
  if (!latest) return html`<p class="muted">No analysis yet.</p>`;
  const m = latest.metadata ?? {};
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const proposals = Array.isArray(m.proposedActions) ? (m.proposedActions as Record<string, unknown>[]) : [];
  return html`<div class="analysis">
  <p class="meta small">${commentIcon(latest)} ${latest.author_name ?? latest.author_type} · ${timeTag(latest.created_at, (t) => relativeTime(t, Date.now()), isoTime)}
    ${str(m.analyzer) ? html` · ${m.analyzer as string}` : ''}${str(m.model) ? html` (${m.model as string})` : ''}${str(m.confidence) ? html` · confidence ${m.confidence as string}` : ''}</p>
  ${str(m.summary) ? html`<p><b>Summary:</b> ${m.summary as string}</p>` : ''}
  ${str(m.likelyCause) ? html`<p><b>Likely cause:</b> ${m.likelyCause as string}</p>` : ''}
  ${str(m.summary) ? '' : html`<p class="pre">${latest.content}</p>`}
  ${Array.isArray(m.evidence) && m.evidence.length > 0 ? html`<h3>Evidence</h3>${evidenceList(m.evidence)}` : ''}
  ${
    proposals.length > 0
      ? html`<h3>Proposed</h3><ul>${proposals.map((p) => html`<li><code>${String(p.type ?? '?')}</code> ${describeParams(p.params)} ${typeof p.reason === 'string' ? html`<span class="muted">— ${p.reason}</span>` : ''}</li>`)}</ul>`
      : ''
  }
</div>`;
}

function actionCard(a: ActionView, now: number): SafeHtml {
  const rel = (t: number) => relativeTime(t, now);
  return html`<li class="action" data-action-id="${a.id}" data-status="${a.status}">
  <div class="action-head"><code>${a.type}</code> ${a.risk ? html`<span class="tag risk-${a.risk}">${a.risk} risk</span>` : ''}
    <span class="action-status">${a.status}</span> ${a.status === 'pending_approval' ? html`<a href="/approvals">decide →</a>` : ''}</div>
  ${describeParams(a.params) ? html`<p class="small"><code>${describeParams(a.params)}</code></p>` : ''}
  ${a.reason ? html`<p class="small">Why: ${a.reason}</p>` : ''}
  ${a.decision || a.decisionReason ? html`<p class="small">Decision: ${[a.decision, a.decisionReason].filter(Boolean).join(' — ')}</p>` : ''}
  ${a.decidedBy ? html`<p class="small">Decided by <b>${a.decidedBy}</b>${a.decidedAt ? html` ${timeTag(a.decidedAt, rel, isoTime)}` : ''}</p>` : ''}
  ${a.executedAt ? html`<p class="small">Ran ${timeTag(a.executedAt, rel, isoTime)}${a.dryRun ? ' (dry run)' : ''}</p>` : ''}
  ${a.outcome ? html`<p class="small">Outcome: <b class="outcome">${a.outcome}</b></p>` : ''}
  ${a.verification ? html`<p class="small">Verification: ${a.verification}</p>` : ''}
  ${a.error ? html`<p class="small err">Error: ${a.error}</p>` : ''}
  ${a.output ? html`<details><summary>Output</summary><pre>${a.output}</pre></details>` : ''}
</li>`;
}

function timelineItem(c: CommentView, now: number): SafeHtml {
  const who = c.author_type === 'human' ? (c.author_name ?? 'human') : (c.author_name ?? 'agent');
  return html`<li class="tl tl-${c.comment_type}" data-comment-type="${c.comment_type}">
  <span class="icon" aria-hidden="true">${commentIcon(c)}</span>
  <div><p class="meta small"><b>${who}</b> · ${c.comment_type.replace('_', ' ')} · ${timeTag(c.created_at, (t) => relativeTime(t, now), isoTime)}</p>
  <p class="pre">${c.content}</p></div>
</li>`;
}

/** Everything on the issue page that changes while one watches; also served alone for polling. */
export function issueRegion(detail: IssueDetailView, now: number): SafeHtml {
  const rel = (t: number) => relativeTime(t, now);
  const actions = detail.actions.map(toActionView);
  const inputs = detail.metadata.fingerprint_inputs as { name?: unknown; context?: unknown; chart?: unknown } | undefined;
  const s = (v: unknown) => (typeof v === 'string' ? v : '?');
  return html`<div class="facts">
  ${severityBadge(detail.severity)} ${statusBadge(detail.status)}
  ${detail.metadata.flapping === true ? html`<span class="tag">flapping</span>` : ''}
  ${marksTags(detail, now)}
  <span>server <b>${detail.server_id}</b></span>
  <span><b class="alert-count">${detail.alert_count}</b> alerts</span>
  <span>first ${timeTag(detail.first_seen_at, rel, isoTime)}</span>
  <span>last ${timeTag(detail.last_seen_at, rel, isoTime)}</span>
  ${detail.resolved_at ? html`<span>resolved ${timeTag(detail.resolved_at, rel, isoTime)}</span>` : ''}
</div>
${detail.description ? html`<p class="description pre">${detail.description}</p>` : ''}
<section><h2>Firings over time</h2>${firingChart(chartInput(detail, actions, now))}</section>
<section class="cols">
  <div><h2>Why grouped</h2>
    <p class="small">Alerts with the same name, context and chart on the same server are one issue:
    fingerprint = sha256("name:context:chart")[:16].</p>
    <dl class="kv"><dt>name</dt><dd><code>${s(inputs?.name)}</code></dd><dt>context</dt><dd><code>${s(inputs?.context)}</code></dd>
    <dt>chart</dt><dd><code>${s(inputs?.chart)}</code></dd><dt>server</dt><dd><code>${detail.server_id}</code></dd>
    <dt>fingerprint</dt><dd><code>${detail.alert_fingerprint}</code></dd><dt>source</dt><dd>${detail.source}</dd></dl></div>
  <div><h2>Latest analysis</h2>${analysisSection(detail)}</div>
</section>
${runbookSection(detail)}
<section><h2>Actions</h2>${
    actions.length === 0 ? html`<p class="muted">No actions proposed.</p>` : html`<ul class="actions">${actions.map((a) => actionCard(a, now))}</ul>`
  }</section>
<section><h2>Timeline</h2><ol class="timeline">${detail.comments.map((c) => timelineItem(c, now))}</ol></section>`;
}

/** runbook_url and the other annotations of a Prometheus alert, and the local runbook that matches the issue. */
function runbookSection(detail: IssueDetailView): SafeHtml | string {
  const annotations = (detail.metadata.annotations ?? {}) as Record<string, unknown>;
  const entries = Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === 'string');
  const url = typeof annotations.runbook_url === 'string' ? annotations.runbook_url : undefined;
  if (!url && !detail.runbook && entries.length === 0) return '';
  // Only http(s) links: an annotation is alert text, and a javascript: URL must never become a link.
  const link = url && /^https?:\/\//i.test(url) ? html`<p>runbook_url: <a href="${url}" rel="noopener noreferrer" target="_blank">${url}</a></p>` : url ? html`<p>runbook_url: <code>${url}</code></p>` : '';
  const local = detail.runbook
    ? html`<h3>${detail.runbook.title} <span class="small muted">${detail.runbook.file}${detail.runbook.actions.length > 0 ? ` · proposes ${detail.runbook.actions.join(', ')}` : ''}</span></h3><pre class="runbook">${detail.runbook.body}</pre>`
    : '';
  const others = entries.filter(([k]) => k !== 'runbook_url');
  const kv = others.length > 0 ? html`<dl class="kv">${others.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>` : '';
  return html`<section class="runbook"><h2>Runbook</h2>${link}${local}${kv}</section>`;
}

export function issuePage(detail: IssueDetailView, now: number, csrf: string, logoutCsrf: string, flash?: { kind: 'ok' | 'error'; text: string }): SafeHtml {
  const base = `/issues/${encodeURIComponent(detail.id)}`;
  return page(
    { title: detail.title, nav: 'issues', logoutCsrf, flash },
    html`<p class="crumbs small"><a href="/">← Issues</a> · <code>${detail.id}</code></p>
<h1 class="issue-title">${detail.title}</h1>
<div id="issue-live" data-live="/partials${base}">${issueRegion(detail, now)}</div>
<section class="cols forms">
  <form method="post" action="${base}/notes" class="card">
    <h2>Add a note</h2>
    <input type="hidden" name="csrf" value="${csrf}">
    <label>Your name <input name="author" class="remember-name" maxlength="100" required autocomplete="name"></label>
    <label>Note <textarea name="content" rows="3" maxlength="10000" required></textarea></label>
    <button type="submit">Add note</button>
  </form>
  <form method="post" action="${base}/status" class="card">
    <h2>Change status</h2>
    <input type="hidden" name="csrf" value="${csrf}">
    <label>Your name <input name="author" class="remember-name" maxlength="100" required autocomplete="name"></label>
    <label>Status <select name="status">${['open', 'investigating', 'resolved', 'closed'].map(
      (st) => html`<option value="${st}"${st === detail.status ? html` selected` : ''}>${st}</option>`,
    )}</select></label>
    <label>Reason <input name="reason" maxlength="1000" placeholder="optional"></label>
    <button type="submit">Change status</button>
  </form>
  <form method="post" action="${base}/own" class="card own">
    <h2>Own or silence</h2>
    <input type="hidden" name="csrf" value="${csrf}">
    <label>Your name <input name="by" class="remember-name" maxlength="100" required autocomplete="name"></label>
    <label>Comment <input name="comment" maxlength="1000" placeholder="optional, recorded with a silence"></label>
    <div class="buttons">
      <button type="submit" name="do" value="ack">Acknowledge</button>
      <button type="submit" name="do" value="unack">Withdraw acknowledgement</button>
      <button type="submit" name="do" value="snooze">Snooze 1 h</button>
      <button type="submit" name="do" value="silence">Silence until resolved</button>
    </div>
  </form>
</section>`,
  );
}
