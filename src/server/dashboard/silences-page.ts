import { z } from 'zod';
import { isoTime, relativeTime } from './format.js';
import { html, type SafeHtml } from './html.js';
import { page, timeTag } from './layout.js';

/** GET /api/v1/silences and /api/v1/windows as the page reads them (the JSON contract, not the internals). */
export const SilenceList = z.looseObject({
  silences: z.array(
    z.looseObject({
      id: z.string(),
      kind: z.string(),
      state: z.string(),
      matcher_text: z.array(z.string()),
      starts_at: z.number(),
      ends_at: z.number().nullable(),
      until_resolved_issue_id: z.string().nullable(),
      created_by: z.string(),
      comment: z.string(),
      expired_at: z.number().nullable(),
      expired_by: z.string().nullable(),
    }),
  ),
});
export type SilenceListView = z.infer<typeof SilenceList>;

export const WindowList = z.looseObject({
  windows: z.array(
    z.looseObject({
      id: z.string(),
      name: z.string(),
      origin: z.string(),
      matcher_text: z.array(z.string()),
      schedule_text: z.string(),
      open_now: z.boolean(),
      next_change_at: z.number().nullable(),
      comment: z.string(),
    }),
  ),
});
export type WindowListView = z.infer<typeof WindowList>;

/** What an issue's JSON says about its owner and silence (acknowledged_by, silenced). */
export const Marks = z.looseObject({
  acknowledged_by: z.string().nullable().optional(),
  acknowledged_at: z.number().nullable().optional(),
  silenced: z
    .looseObject({ id: z.string(), kind: z.string(), until: z.number().nullable(), by: z.string(), comment: z.string() })
    .nullable()
    .optional(),
});

/** Small tags for a row or an issue header: "acked by alice", "silenced until …", "snoozed", "maintenance". */
export function marksTags(value: unknown, now: number): SafeHtml {
  const m = Marks.safeParse(value);
  if (!m.success) return html``;
  const s = m.data.silenced;
  const until = s ? (s.until === null ? 'until resolved' : `until ${isoTime(s.until)}`) : '';
  const word = s ? (s.kind === 'snooze' ? 'snoozed' : s.kind === 'window' ? 'maintenance' : 'silenced') : '';
  return html`${m.data.acknowledged_by ? html`<span class="tag ack" title="${m.data.acknowledged_at ? relativeTime(m.data.acknowledged_at, now) : ''}">acked by ${m.data.acknowledged_by}</span>` : ''}${
    s ? html` <span class="tag silenced" title="${s.id} by ${s.by}${s.comment ? `: ${s.comment}` : ''}">${word} ${until}</span>` : ''
  }`;
}

function silenceRow(s: SilenceListView['silences'][number], csrf: string, now: number): SafeHtml {
  const ends = s.expired_at !== null ? html`expired ${timeTag(s.expired_at, (t) => relativeTime(t, now), isoTime)}${s.expired_by ? html` by ${s.expired_by}` : ''}` : s.ends_at === null ? html`until <a href="/issues/${encodeURIComponent(s.until_resolved_issue_id ?? '')}">${s.until_resolved_issue_id ?? '?'}</a> resolves` : html`<span title="${isoTime(s.ends_at)}">${isoTime(s.ends_at)}</span>`;
  return html`<tr data-silence-id="${s.id}" data-state="${s.state}">
  <td data-label="Silence"><code>${s.id}</code> <span class="tag">${s.kind}</span></td>
  <td data-label="Matchers"><code>${s.matcher_text.join(' ')}</code></td>
  <td data-label="State">${s.state}</td>
  <td data-label="Ends">${ends}</td>
  <td data-label="By">${s.created_by}${s.comment ? html` <span class="muted">— ${s.comment}</span>` : ''}</td>
  <td>${
    s.state === 'expired'
      ? ''
      : html`<form method="post" action="/silences/${encodeURIComponent(s.id)}/expire" class="inline">
    <input type="hidden" name="csrf" value="${csrf}"><input name="by" class="remember-name" maxlength="100" required placeholder="your name" autocomplete="name">
    <button type="submit">Expire</button></form>`
  }</td>
</tr>`;
}

/** Silences (create, list, expire) and maintenance windows. */
export function silencesPage(
  silences: SilenceListView,
  windows: WindowListView,
  all: boolean,
  now: number,
  csrf: string,
  logoutCsrf: string,
  flash?: { kind: 'ok' | 'error'; text: string },
): SafeHtml {
  return page(
    { title: 'Silences', nav: 'silences', logoutCsrf, flash },
    html`<h1>Silences</h1>
<p class="small muted">A silenced alert is still counted and recorded (each firing marked with the silence), but nobody is notified and no action runs by itself; a person may still approve one. Matchers as in Alertmanager: <code>server=web-1</code>, <code>alertname=~"disk_.*"</code>, <code>severity!=warning</code>, <code>label.team=db</code>.</p>
<form method="post" action="/silences" class="card silence-new">
  <input type="hidden" name="csrf" value="${csrf}">
  <label>Matchers, one per line (all must match) <textarea name="matchers" rows="3" required maxlength="5000" placeholder="server=web-1&#10;alertname=~&quot;disk_.*&quot;"></textarea></label>
  <label>For <input name="duration" value="2h" maxlength="20" required placeholder="30m, 2h, 1d"></label>
  <label>Comment <input name="comment" maxlength="1000" placeholder="why (deploy, maintenance…)"></label>
  <label>Your name <input name="by" class="remember-name" maxlength="100" required autocomplete="name"></label>
  <button type="submit">Silence</button>
</form>
<p class="small"><a href="/silences${all ? '' : '?all=1'}">${all ? 'Hide ended silences' : 'Show ended silences too'}</a></p>
<table class="silences">
<thead><tr><th>Silence</th><th>Matchers</th><th>State</th><th>Ends</th><th>By</th><th></th></tr></thead>
<tbody>${silences.silences.length === 0 ? html`<tr><td colspan="6" class="empty">No silences${all ? '' : ' in force'}.</td></tr>` : silences.silences.map((s) => silenceRow(s, csrf, now))}</tbody>
</table>
<h2>Maintenance windows</h2>
<table class="windows">
<thead><tr><th>Window</th><th>Schedule</th><th>Matchers</th><th>Now</th><th>Next change</th></tr></thead>
<tbody>${
      windows.windows.length === 0
        ? html`<tr><td colspan="5" class="empty">None (config <code>silences.windows</code>, <code>opsagent windows-add</code> or <code>POST /api/v1/windows</code>).</td></tr>`
        : windows.windows.map(
            (w) => html`<tr data-window-id="${w.id}"><td><b>${w.name}</b> <span class="muted small">${w.origin}</span></td><td>${w.schedule_text}</td><td><code>${w.matcher_text.join(' ')}</code></td><td>${w.open_now ? html`<span class="tag silenced">open</span>` : 'closed'}</td><td>${w.next_change_at === null ? '–' : isoTime(w.next_change_at)}</td></tr>`,
          )
    }</tbody>
</table>`,
  );
}
