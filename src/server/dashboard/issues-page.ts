import type { IssueListView, IssueView } from './api-client.js';
import { isoTime, relativeTime } from './format.js';
import { html, queryString, type SafeHtml } from './html.js';
import { page, severityBadge, statusBadge, timeTag } from './layout.js';
import { marksTags } from './silences-page.js';

/** The list filters, as the page's query string and the API's `?status=&severity=&server=&q=`. */
export interface IssueFilters {
  status?: string;
  severity?: string;
  server?: string;
  q?: string;
}

const STATUS_CHOICES: { value: string; label: string }[] = [
  { value: '', label: 'active (open, investigating)' },
  { value: 'open', label: 'open' },
  { value: 'investigating', label: 'investigating' },
  { value: 'resolved', label: 'resolved' },
  { value: 'closed', label: 'closed' },
  { value: 'all', label: 'all' },
];

export function apiQuery(filters: IssueFilters, limit = 200): string {
  return queryString({ status: filters.status, severity: filters.severity, server: filters.server, q: filters.q, limit });
}

function option(value: string, label: string, selected: string | undefined) {
  return html`<option value="${value}"${(selected ?? '') === value ? html` selected` : ''}>${label}</option>`;
}

function row(issue: IssueView, now: number): SafeHtml {
  const rel = (ms: number) => relativeTime(ms, now);
  return html`<tr class="sev-row-${issue.severity === 'critical' ? 'critical' : 'warning'}" data-issue-id="${issue.id}">
  <td data-label="Severity">${severityBadge(issue.severity)}</td>
  <td data-label="Issue"><a class="issue-link" href="/issues/${encodeURIComponent(issue.id)}">${issue.title}</a>
    ${issue.metadata.flapping === true ? html`<span class="tag">flapping</span>` : ''} ${marksTags(issue, now)}</td>
  <td data-label="Server">${issue.server_id}</td>
  <td data-label="Status">${statusBadge(issue.status)}</td>
  <td data-label="Alerts" class="num">${issue.alert_count}</td>
  <td data-label="First seen">${timeTag(issue.first_seen_at, rel, isoTime)}</td>
  <td data-label="Last seen">${timeTag(issue.last_seen_at, rel, isoTime)}</td>
</tr>`;
}

/** The live part of the list (counts and rows), also served alone as /partials/issues for polling. */
export function issuesRegion(list: IssueListView, filters: IssueFilters, now: number): SafeHtml {
  const counts = ['open', 'investigating', 'resolved', 'closed'].map((s) => {
    const link = queryString({ status: s, severity: filters.severity, server: filters.server, q: filters.q });
    return html`<a class="count st-${s}${filters.status === s ? ' active' : ''}" href="/${link}"><b>${list.counts[s] ?? 0}</b> ${s}</a>`;
  });
  // A fleet: every server with its active count, each a link to the server filter.
  const servers =
    list.servers.length > 1
      ? html`<div class="server-counts">${list.servers.map((s) => {
          const link = queryString({ status: filters.status, severity: filters.severity, server: s.server_id, q: filters.q });
          return html`<a class="server-count${filters.server === s.server_id ? ' active' : ''}" href="/${link}" data-server="${s.server_id}"><b>${s.open + s.investigating}</b> ${s.server_id}</a>`;
        })}</div>`
      : '';
  return html`<div class="counts">${counts}</div>${servers}
<table class="issues">
<thead><tr><th>Sev</th><th>Issue</th><th>Server</th><th>Status</th><th class="num">Alerts</th><th>First seen</th><th>Last seen</th></tr></thead>
<tbody>${
    list.issues.length === 0
      ? html`<tr><td colspan="7" class="empty">No issues match. One issue per alert type per server: quiet is good.</td></tr>`
      : list.issues.map((i) => row(i, now))
  }</tbody>
</table>
<p class="muted small">${list.issues.length} shown · updated <time data-ts="${now}">${relativeTime(now, now)}</time></p>`;
}

export function issuesPage(list: IssueListView, filters: IssueFilters, now: number, logoutCsrf: string): SafeHtml {
  const partial = `/partials/issues${queryString({ ...filters })}`;
  return page(
    { title: 'Issues', nav: 'issues', logoutCsrf },
    html`<h1>Issues</h1>
<form class="filters" method="get" action="/">
  <label>Status <select name="status">${STATUS_CHOICES.map((c) => option(c.value, c.label, filters.status))}</select></label>
  <label>Severity <select name="severity">${option('', 'any', filters.severity)}${option('critical', 'critical', filters.severity)}${option('warning', 'warning', filters.severity)}</select></label>
  <label>Server <input name="server" value="${filters.server ?? ''}" placeholder="server id" maxlength="200" autocomplete="off"></label>
  <label class="grow">Search <input type="search" name="q" value="${filters.q ?? ''}" placeholder="title, description, server" maxlength="200"></label>
  <button type="submit">Filter</button>
</form>
<section id="issues-live" data-live="${partial}" aria-live="polite">${issuesRegion(list, filters, now)}</section>`,
  );
}
