import { html, type HtmlValue, type SafeHtml } from './html.js';

export type NavItem = 'issues' | 'approvals' | 'silences' | 'stats' | 'none';

export interface PageOptions {
  title: string;
  nav: NavItem;
  /** CSRF token for the logout form; '' when there is no session to end (open mode or the login page). */
  logoutCsrf?: string;
  /** A message shown at the top: the result of a form, or why it failed. */
  flash?: { kind: 'ok' | 'error'; text: string } | undefined;
}

const NAV: { id: NavItem; href: string; label: string }[] = [
  { id: 'issues', href: '/', label: 'Issues' },
  { id: 'approvals', href: '/approvals', label: 'Approvals' },
  { id: 'silences', href: '/silences', label: 'Silences' },
  { id: 'stats', href: '/stats', label: 'Stats' },
];

/** The page shell: one stylesheet, one script, both from this server (the CSP allows nothing else). */
export function page(options: PageOptions, body: HtmlValue): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${options.title} · OpsAgent</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<link rel="icon" href="data:,">
<script src="/assets/dashboard.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/">OpsAgent</a>
  ${
    options.nav === 'none'
      ? ''
      : html`<nav>${NAV.map(
          (n) => html`<a href="${n.href}"${n.id === options.nav ? html` aria-current="page"` : ''}>${n.label}</a>`,
        )}</nav>`
  }
  ${
    options.logoutCsrf
      ? html`<form class="logout" method="post" action="/logout"><input type="hidden" name="csrf" value="${options.logoutCsrf}"><button type="submit" class="link">Log out</button></form>`
      : ''
  }
</header>
<main>
${options.flash ? html`<p class="flash ${options.flash.kind}" role="status">${options.flash.text}</p>` : ''}
${body}
</main>
</body>
</html>`;
}

export function severityBadge(severity: string): SafeHtml {
  const known = severity === 'critical' || severity === 'warning' ? severity : 'unknown';
  return html`<span class="sev sev-${known}">${severity}</span>`;
}

export function statusBadge(status: string): SafeHtml {
  const known = ['open', 'investigating', 'resolved', 'closed'].includes(status) ? status : 'unknown';
  return html`<span class="st st-${known}">${status}</span>`;
}

/** A time the browser keeps relative ("3m ago"); the absolute time is the tooltip. */
export function timeTag(ms: number | null | undefined, relative: (ms: number) => string, iso: (ms: number) => string): SafeHtml {
  if (ms === null || ms === undefined) return html`<span class="muted">–</span>`;
  return html`<time datetime="${new Date(ms).toISOString()}" data-ts="${ms}" title="${iso(ms)}">${relative(ms)}</time>`;
}
