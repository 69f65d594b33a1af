import { describeParams, type ActionView } from './action-view.js';
import { duration, isoTime, relativeTime } from './format.js';
import { html, type SafeHtml } from './html.js';
import { page, timeTag } from './layout.js';

function card(a: ActionView, csrf: string, now: number): SafeHtml {
  return html`<li class="card approval" data-action-id="${a.id}">
  <div class="action-head"><code class="action-type">${a.type}</code> ${a.risk ? html`<span class="tag risk-${a.risk}">${a.risk} risk</span>` : ''}
    ${a.issueId ? html`<a href="/issues/${encodeURIComponent(a.issueId)}">issue ${a.issueId}</a>` : ''}</div>
  ${describeParams(a.params) ? html`<p><code>${describeParams(a.params)}</code></p>` : ''}
  ${a.reason ? html`<p class="small">Why: ${a.reason}</p>` : ''}
  ${a.decisionReason ? html`<p class="small">Gate: ${a.decisionReason}</p>` : ''}
  <p class="small">Proposed ${timeTag(a.createdAt, (t) => relativeTime(t, now), isoTime)}${
    a.expiresAt !== undefined
      ? html` · expires in <span class="countdown" data-expires="${a.expiresAt}" title="${isoTime(a.expiresAt)}">${duration(a.expiresAt - now)}</span>`
      : ''
  }</p>
  <form method="post" action="/approvals/${encodeURIComponent(a.id)}/decide" class="decide">
    <input type="hidden" name="csrf" value="${csrf}">
    ${a.paramsHash ? html`<input type="hidden" name="params_hash" value="${a.paramsHash}">` : ''}
    <label>Your name <input name="by" class="remember-name" maxlength="100" required autocomplete="name"></label>
    <label>Reason <input name="reason" maxlength="1000" placeholder="optional, recorded on reject"></label>
    <div class="buttons">
      <button type="submit" name="decision" value="approve" class="approve">Approve</button>
      <button type="submit" name="decision" value="reject" class="reject">Reject</button>
    </div>
  </form>
</li>`;
}

/** The pending actions, also served alone at /partials/approvals so an open page picks up new ones. */
export function approvalsRegion(actions: ActionView[], available: boolean, now: number, csrf: string): SafeHtml {
  return !available
    ? html`<p class="muted">Remediation is not enabled in this agent, so nothing waits for approval.</p>`
    : actions.length === 0
      ? html`<p class="muted empty">Nothing waits for approval.</p>`
      : html`<ul class="approvals">${actions.map((a) => card(a, csrf, now))}</ul>`;
}

/** Pending actions; `available` is false when the remediation stage (the actions API) is not running. */
export function approvalsPage(
  actions: ActionView[],
  available: boolean,
  now: number,
  csrf: string,
  logoutCsrf: string,
  flash?: { kind: 'ok' | 'error'; text: string },
): SafeHtml {
  return page(
    { title: 'Approvals', nav: 'approvals', logoutCsrf, flash },
    html`<h1>Approvals</h1><p class="small muted">Who decides is recorded with the decision; your name is remembered in this browser.</p>
<section id="approvals-live" data-live="/partials/approvals" aria-live="polite">${approvalsRegion(actions, available, now, csrf)}</section>`,
  );
}
