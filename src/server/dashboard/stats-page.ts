import { percent } from './format.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

export interface StatsView {
  days: number;
  noisiest: { title: string; occurrences: number; total_firings: number }[];
  actions: { action_type: string; executed: number; succeeded: number; verified: number }[] | undefined;
  servers: { server_id: string; issues: number; open: number }[];
}

export function statsPage(stats: StatsView, logoutCsrf: string): SafeHtml {
  const maxFirings = Math.max(1, ...stats.noisiest.map((n) => n.total_firings));
  const tab = (d: number) => html`<a href="/stats?days=${d}"${stats.days === d ? html` aria-current="page"` : ''}>${d} days</a>`;
  return page(
    { title: 'Stats', nav: 'stats', logoutCsrf },
    html`<h1>Stats</h1>
<p class="tabs">${tab(7)} ${tab(30)}</p>
<section><h2>Noisiest alerts (issues first seen in the last ${stats.days} days)</h2>
${
  stats.noisiest.length === 0
    ? html`<p class="muted">No issues in this window.</p>`
    : html`<table class="stats noisiest"><thead><tr><th>Alert</th><th class="num">Issues</th><th class="num">Firings</th><th></th></tr></thead><tbody>${stats.noisiest.map(
        (n) => html`<tr><td data-label="Alert">${n.title}</td><td data-label="Issues" class="num">${n.occurrences}</td><td data-label="Firings" class="num">${n.total_firings}</td>
<td class="meter-cell"><meter min="0" max="${maxFirings}" value="${n.total_firings}"></meter></td></tr>`,
      )}</tbody></table>`
}</section>
<section><h2>Actions (last ${stats.days} days)</h2>
${
  stats.actions === undefined
    ? html`<p class="muted">Remediation is not enabled in this agent.</p>`
    : stats.actions.length === 0
      ? html`<p class="muted">No actions executed in this window.</p>`
      : html`<table class="stats actions-stats"><thead><tr><th>Action</th><th class="num">Executed</th><th class="num">Succeeded</th><th class="num">Verified</th><th class="num">Success rate</th></tr></thead><tbody>${stats.actions.map(
          (a) => html`<tr><td data-label="Action"><code>${a.action_type}</code></td><td data-label="Executed" class="num">${a.executed}</td><td data-label="Succeeded" class="num">${a.succeeded}</td>
<td data-label="Verified" class="num">${a.verified}</td><td data-label="Success rate" class="num">${percent(a.succeeded, a.executed)}</td></tr>`,
        )}</tbody></table>`
}</section>
<section><h2>Issues per server (active in the last ${stats.days} days)</h2>
${
  stats.servers.length === 0
    ? html`<p class="muted">No issues in this window.</p>`
    : html`<table class="stats servers"><thead><tr><th>Server</th><th class="num">Issues</th><th class="num">Open</th></tr></thead><tbody>${stats.servers.map(
        (s) => html`<tr><td data-label="Server"><a href="/?server=${encodeURIComponent(s.server_id)}&amp;status=all">${s.server_id}</a></td><td data-label="Issues" class="num">${s.issues}</td><td data-label="Open" class="num">${s.open}</td></tr>`,
      )}</tbody></table>`
}</section>`,
  );
}
