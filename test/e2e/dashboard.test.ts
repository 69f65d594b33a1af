import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { validateProposal } from '../../src/model/action-catalog.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { launchBrowser, logIn, newPage, postAlerts, screenshot, startTestAgent } from '../helpers/browser.js';

const XSS_INFO = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">CPU is pegged`;
const now = Date.now();

function alert(name: string, status: 'WARNING' | 'CRITICAL' | 'CLEAR', server: string, minutesAgo: number, extra: Record<string, unknown> = {}) {
  return { name, status, server_id: server, context: `system.${name}`, chart: `system.${name}`, occurred_at: now - minutesAgo * 60_000, ...extra };
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('dashboard in headless Chromium', () => {
  it('lists, filters and opens issues, shows the timeline and records a note and a status change', async () => {
    const agent = await startTestAgent({ analysis: { enabled: false } });
    await postAlerts(agent.url, [
      alert('cpu_usage', 'WARNING', 'web-1', 50, { value: 85, units: '%', info: XSS_INFO }),
      alert('cpu_usage', 'CRITICAL', 'web-1', 40, { value: 97, units: '%' }),
      alert('cpu_usage', 'CRITICAL', 'web-1', 30, { value: 95, units: '%' }),
      alert('disk_space', 'WARNING', 'db-1', 20, { value: 91, units: '%' }),
      alert('ram_usage', 'WARNING', 'web-2', 15, { value: 88, units: '%' }),
      alert('ram_usage', 'CLEAR', 'web-2', 5),
    ]);
    const headers = (await fetch(agent.url)).headers;
    expect(headers.get('content-security-policy')).toContain("default-src 'self'; script-src 'self'");
    expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    // a foreign Host header is a DNS-rebinding page and is refused
    expect((await agent.app.inject({ url: '/', headers: { host: 'evil.example:8080' } })).statusCode).toBe(403);
    const { page, problems } = await newPage(browser);
    // without server.apiToken the dashboard asks for the local token (`opsagent token`): it can approve actions
    await logIn(page, agent);

    await page.goto(agent.url);
    await expect.poll(() => page.locator('tbody tr[data-issue-id]').count()).toBe(2); // active only by default
    expect(await page.locator('.counts').innerText()).toMatch(/2\s+open[\s\S]*1\s+resolved/);
    await screenshot(page, 'issues');

    await page.selectOption('select[name=severity]', 'critical');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/severity=critical/);
    expect(await page.locator('tbody tr[data-issue-id] .issue-link').allInnerTexts()).toEqual(['cpu_usage']);

    await page.goto(`${agent.url}/?status=all&q=ram`);
    expect(await page.locator('tbody tr[data-issue-id] .issue-link').allInnerTexts()).toEqual(['ram_usage']);

    // live update: a new alert shows up on the open page without a reload
    await page.goto(agent.url);
    await postAlerts(agent.url, [alert('load_average', 'CRITICAL', 'web-3', 0)]);
    await expect.poll(() => page.locator('tbody tr[data-issue-id]').count(), { timeout: 12_000, interval: 500 }).toBe(3);

    await page.click('a.issue-link:text("cpu_usage")');
    await page.waitForURL(/\/issues\/issue-/);
    const timeline = page.locator('ol.timeline li');
    expect(await timeline.count()).toBe(4); // first detected, escalation, fired again x2
    expect(await page.locator('ol.timeline').innerText()).toContain('Alert first detected: cpu_usage = 85%');
    expect(await page.locator('.chart rect.bar').count()).toBeGreaterThan(0);
    expect(await page.locator('dl.kv').innerText()).toContain('system.cpu_usage');
    // the alert's info is shown as text and never runs
    expect(await page.locator('.description').innerText()).toContain('<script>window.__pwned = 1</script>');
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('main script, main img').count()).toBe(0);

    await page.fill('form[action$="/notes"] input[name=author]', 'alice');
    await page.fill('form[action$="/notes"] textarea[name=content]', 'Looking at it <b>now</b>');
    await page.click('form[action$="/notes"] button');
    await page.waitForLoadState('domcontentloaded');
    await expect.poll(() => page.locator('ol.timeline li.tl-note').innerText()).toContain('Looking at it <b>now</b>');
    expect(await page.locator('ol.timeline li.tl-note').innerText()).toContain('alice');

    // the name is remembered for the next form
    expect(await page.inputValue('form[action$="/status"] input[name=author]')).toBe('alice');
    await page.selectOption('form[action$="/status"] select[name=status]', 'investigating');
    await page.fill('form[action$="/status"] input[name=reason]', 'on it');
    await page.click('form[action$="/status"] button');
    await expect.poll(() => page.locator('.facts .st').innerText()).toBe('investigating');
    expect(await page.locator('ol.timeline').innerText()).toContain('Status changed to investigating');
    await screenshot(page, 'issue');

    await page.goto(`${agent.url}/stats?days=7`);
    expect(await page.locator('table.noisiest').innerText()).toContain('cpu_usage');
    expect(await page.locator('table.servers').innerText()).toContain('web-1');
    await screenshot(page, 'stats');

    const phone = await newPage(browser, { width: 390, height: 844 });
    await logIn(phone.page, agent);
    await phone.page.goto(`${agent.url}/?status=all`);
    expect(await phone.page.locator('tbody tr[data-issue-id]').count()).toBe(4);
    await screenshot(phone.page, 'issues-phone');

    expect([...problems, ...phone.problems]).toEqual([]);
  });

  it('approves a pending action from the approvals page and shows it executed on the issue', async () => {
    // restart_service is medium risk: in limited mode it waits for a human. Its command here only prints the unit.
    const agent = await startTestAgent({
      analysis: { enabled: false },
      actions: { restartService: { command: [process.execPath, '-e', 'console.log("restarted " + process.argv[1])'] } },
    });
    await postAlerts(agent.url, [alert('web_errors', 'CRITICAL', 'e2e-agent', 2, { info: 'nginx 5xx rate high' })]);
    const [issue] = await agent.store.issues.list();
    const check = validateProposal({ type: 'restart_service', params: { service: 'e2e-web.service' }, reason: 'workers wedged' });
    if (!check.ok) throw new Error(check.reason);
    const [pending] = await agent.remediation.handleProposals(issue!, [check.proposal]);
    expect(pending!.status).toBe('pending_approval');
    const { page, problems } = await newPage(browser);
    await logIn(page, agent);

    await page.goto(`${agent.url}/approvals`);
    const card = page.locator(`li.approval[data-action-id="${pending!.id}"]`);
    expect(await card.locator('.action-type').innerText()).toBe('restart_service');
    await expect.poll(() => card.locator('.countdown').innerText()).toMatch(/^(59m|1h 0m)/);
    await screenshot(page, 'approvals');
    await card.locator('input[name=by]').fill('bob');
    await card.locator('button.approve').click();
    await page.waitForURL(/\/approvals\?done=approve/);
    expect(await page.locator('.flash.ok').innerText()).toContain('Approved');
    expect(await page.locator('li.approval').count()).toBe(0);


    await page.goto(`${agent.url}/issues/${issue!.id}`);
    const action = page.locator(`li.action[data-action-id="${pending!.id}"]`);
    await expect.poll(() => action.getAttribute('data-status')).toBe('succeeded');
    expect(await action.innerText()).toContain('bob');
    await action.locator('summary').click();
    expect(await action.locator('pre').innerText()).toContain('restarted e2e-web.service');
    expect(await page.locator('ol.timeline').innerText()).toContain('Action approved by bob');
    expect(await page.locator('.chart path.act.ok').count()).toBe(1);
    const shot = await screenshot(page, 'issue-with-action');
    expect(problems).toEqual([]);
    mkdirSync(join(PACKAGE_ROOT, 'docs/screenshots'), { recursive: true });
    copyFileSync(shot, join(PACKAGE_ROOT, 'docs/screenshots/dashboard.png')); // the README's picture
  });

  it('shows new approvals on an open approvals page, but never while someone is filling in a card', async () => {
    const agent = await startTestAgent({
      analysis: { enabled: false },
      actions: { restartService: { command: [process.execPath, '-e', 'console.log("restarted " + process.argv[1])'] } },
    });
    await postAlerts(agent.url, [alert('web_errors', 'CRITICAL', 'e2e-agent', 2)]);
    const [issue] = await agent.store.issues.list();
    const propose = async (service: string) => {
      const p = validateProposal({ type: 'restart_service', params: { service }, reason: 'workers wedged' });
      if (!p.ok) throw new Error(p.reason);
      return (await agent.remediation.handleProposals(issue!, [p.proposal]))[0]!;
    };
    const { page, problems } = await newPage(browser);
    await logIn(page, agent);
    await page.goto(`${agent.url}/approvals`);
    expect(await page.locator('.empty').innerText()).toContain('Nothing waits for approval');

    const first = await propose('e2e-api.service');
    const card = page.locator(`li.approval[data-action-id="${first.id}"]`);
    await expect.poll(() => card.count(), { timeout: 12_000, interval: 500 }).toBe(1);
    await expect.poll(() => card.locator('.countdown').innerText()).toMatch(/^(59m|1h 0m)/);

    await card.locator('input[name=reason]').fill('not during the deploy');
    await page.locator('h1').click(); // typed, then looked away: the text must survive the next polls
    const second = await propose('e2e-worker.service');
    await page.waitForTimeout(6_500); // longer than one poll
    expect(await page.locator('li.approval').count()).toBe(1);
    expect(await card.locator('input[name=reason]').inputValue()).toBe('not during the deploy');

    await card.locator('input[name=reason]').fill('');
    await page.locator('h1').click();
    await expect.poll(() => page.locator(`li.approval[data-action-id="${second.id}"]`).count(), { timeout: 12_000, interval: 500 }).toBe(1);
    // the refreshed cards still decide: the name typed here is remembered and the rejection lands
    const secondCard = page.locator(`li.approval[data-action-id="${second.id}"]`);
    await secondCard.locator('input[name=by]').fill('carol');
    await secondCard.locator('input[name=reason]').fill('wrong service');
    await secondCard.locator('button.reject').click();
    await page.waitForURL(/\/approvals\?done=reject/);
    expect(await agent.store.actions.get(second.id)).toMatchObject({ status: 'rejected', decided_by: 'carol' });
    expect(await page.locator(`li.approval[data-action-id="${first.id}"] input[name=by]`).inputValue()).toBe('carol');
    expect(problems).toEqual([]);
  });

  it('with server.apiToken set, asks for the token and refuses requests without the session or CSRF token', async () => {
    const token = 'e2e-token-0123456789abcdef0123456789abcdef';
    const agent = await startTestAgent({ server: { host: '127.0.0.1', port: 0, apiToken: token }, analysis: { enabled: false } });
    await postAlerts(agent.url, [alert('cpu_usage', 'CRITICAL', 'web-1', 1)], token);
    const { page, problems } = await newPage(browser);

    await page.goto(agent.url);
    await page.waitForURL(/\/login$/);
    await page.fill('input[name=token]', 'wrong-token');
    await page.click('form.login button');
    expect(await page.locator('.flash.error').innerText()).toContain('not the API token');
    await page.fill('input[name=token]', token);
    await page.click('form.login button');
    await page.waitForURL(`${agent.url}/`);
    expect(await page.locator('tbody tr[data-issue-id]').count()).toBe(1);

    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: 'opsagent_session', httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie!.value).not.toContain(token);

    // the session cookie opens the dashboard, not the bearer-protected JSON API
    expect(await page.evaluate(async () => (await fetch('/api/v1/issues')).status)).toBe(401);
    // a form post with the cookie but without the CSRF token is refused
    const issueId = await page.locator('tbody tr[data-issue-id]').getAttribute('data-issue-id');
    const forged = await page.evaluate(async (id) => {
      const res = await fetch(`/issues/${id}/notes`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'author=x&content=forged' });
      return res.status;
    }, issueId);
    expect(forged).toBe(403);

    const cookieHeader = `${cookie!.name}=${cookie!.value}`;
    expect((await fetch(`${agent.url}/`, { redirect: 'manual' })).status).toBe(303);
    expect((await fetch(`${agent.url}/api/v1/issues`)).status).toBe(401);
    const csrf = await page.locator('form.logout input[name=csrf]').inputValue();
    const crossSite = await fetch(`${agent.url}/issues/${issueId}/notes`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: cookieHeader, origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, author: 'x', content: 'cross-site' }),
    });
    expect(crossSite.status).toBe(403);
    const detail = (await (await fetch(`${agent.url}/api/v1/issues/${issueId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      comments: { content: string }[];
    };
    expect(detail.comments.map((c) => c.content)).not.toContain('forged');
    expect(detail.comments.map((c) => c.content)).not.toContain('cross-site');

    await page.click('form.logout button');
    await page.waitForURL(/\/login$/);
    // logging out ended the session on the server: the same cookie, replayed, opens nothing
    const replayed = await fetch(`${agent.url}/`, { redirect: 'manual', headers: { cookie: cookieHeader } });
    expect(replayed.headers.get('location')).toBe('/login');
    expect(problems.filter((p) => !p.includes('401') && !p.includes('403'))).toEqual([]);
  });

  it('a page on another local port cannot approve, reject or inject alerts, even while the operator is logged in', async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const agent = await startTestAgent({
      analysis: { enabled: false },
      actions: { killProcess: { allowedPids: [child.pid], graceMs: 1_000 }, scanIntervalSeconds: 60 },
    });
    const [r] = await agent.store.tracker.ingest([{ server_id: 'e2e-agent', name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'CRITICAL', value: 99, source: 'opsagent', occurred_at: Date.now() }]);
    const issue = (await agent.store.issues.get(r!.issue_id!))!;
    const check = validateProposal({ type: 'kill_process', params: { pid: child.pid, name: 'sleep' }, reason: 'runaway' });
    if (!check.ok) throw new Error(check.reason);
    const [kill] = await agent.remediation.handleProposals(issue, [check.proposal], null);
    expect(kill!.status).toBe('pending_approval');
    const allIssues = async () => (await agent.store.issues.list({ statuses: ['open', 'investigating', 'resolved', 'closed'] })).length;
    const issuesBefore = await allIssues();
    const commentsBefore = (await agent.store.issues.comments(issue.id)).length;

    // the attacker: any page served from this machine, on another port
    const forms: { action: string; fields: Record<string, string>; enctype: string }[] = [];
    const attr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    const attacker = createServer((req, res) => {
      const spec = forms[Number(/^\/form\/(\d+)$/.exec(req.url ?? '')?.[1] ?? -1)];
      const form = spec
        ? `<form method="post" action="${attr(spec.action)}" enctype="${attr(spec.enctype)}" target="sink">${Object.entries(spec.fields)
            .map(([k, v]) => `<input type="hidden" name="${attr(k)}" value="${attr(v)}">`)
            .join('')}</form><script>document.forms[0].submit()</script>`
        : '';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>cat pictures</title><iframe name="sink"></iframe>${form}`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => attacker.close(() => resolve())));
    const attackerPort = (attacker.address() as AddressInfo).port;

    const { page } = await newPage(browser);
    await logIn(page, agent); // the operator's session cookie is in this browser (and 127.0.0.1:other is same-site)
    const answered: { url: string; status: number }[] = [];
    page.on('response', (res) => {
      if (res.url().startsWith(agent.url) && res.request().method() === 'POST') answered.push({ url: res.url(), status: res.status() });
    });

    for (const origin of [`http://localhost:${attackerPort}`, `http://127.0.0.1:${attackerPort}`]) {
      await page.goto(`${origin}/`);
      const fetched = await page.evaluate(
        async ({ target, id, issueId }) => {
          const netdataVars = new URLSearchParams({ name: 'evil_alarm', chart: 'evil.chart', status: 'CRITICAL', unique_id: '666', alarm_id: '1', when: String(Math.floor(Date.now() / 1000)) });
          const attempts: (() => Promise<Response>)[] = [
            // the probe's request: no body, no content type
            () => fetch(`${target}/api/v1/actions/${id}/approve`, { method: 'POST', mode: 'no-cors' }),
            () => fetch(`${target}/api/v1/actions/${id}/reject`, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"by":"evil"}' }),
            () => fetch(`${target}/api/v1/actions/${id.slice(0, 8)}/approve`, { method: 'POST', mode: 'no-cors', body: '{}' }),
            () => fetch(`${target}/api/v1/issues/${issueId}/status`, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"status":"closed"}' }),
            () => fetch(`${target}/api/v1/webhooks/netdata`, { method: 'POST', mode: 'no-cors', body: netdataVars }),
            () => fetch(`${target}/api/v1/alerts`, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"name":"evil_alert","status":"CRITICAL"}' }),
            // JSON needs a CORS preflight, which this daemon never grants: the POST itself is never sent
            () => fetch(`${target}/api/v1/actions/${id}/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
          ];
          const out: string[] = [];
          for (const attempt of attempts) {
            try {
              out.push((await attempt()).type);
            } catch {
              out.push('blocked');
            }
          }
          return out;
        },
        { target: agent.url, id: kill!.id, issueId: issue.id },
      );
      expect(fetched).toEqual(['opaque', 'opaque', 'opaque', 'opaque', 'opaque', 'opaque', 'blocked']);

      // real form posts, submitted by the attacker's page on load into a hidden frame
      const submit = async (action: string, fields: Record<string, string>, enctype: string) => {
        const n = forms.push({ action, fields, enctype }) - 1;
        const posted = page.waitForResponse((res) => res.url().startsWith(agent.url) && res.request().method() === 'POST');
        await page.goto(`${origin}/form/${n}`);
        await posted;
      };
      const when = String(Math.floor(Date.now() / 1000));
      await submit(`${agent.url}/api/v1/webhooks/netdata`, { name: 'evil_form_alarm', chart: 'evil.chart', status: 'CRITICAL', unique_id: '667', alarm_id: '1', when }, 'application/x-www-form-urlencoded');
      // text/plain forms can carry JSON: {"by":"evil","x":"="}
      await submit(`${agent.url}/api/v1/actions/${kill!.id}/approve`, { '{"by":"evil","x":"': '"}' }, 'text/plain');
      // the dashboard's own route, with the operator's cookie but without the CSRF token
      await submit(`${agent.url}/approvals/${kill!.id}/decide`, { decision: 'approve', by: 'evil' }, 'application/x-www-form-urlencoded');
    }

    // every POST that reached the daemon was refused by it (403 cross-origin or 415 not JSON), none by luck
    expect(answered.length).toBeGreaterThanOrEqual(2 * 9);
    expect(answered.filter((a) => a.status !== 403 && a.status !== 415)).toEqual([]);
    expect((await agent.store.actions.get(kill!.id))!.status).toBe('pending_approval');
    expect(child.exitCode === null && child.signalCode === null).toBe(true);
    expect(await allIssues()).toBe(issuesBefore);
    expect((await agent.store.issues.get(issue.id))!.status).toBe('open');
    expect((await agent.store.issues.comments(issue.id)).length).toBe(commentsBefore);

    // the operator, on the daemon's own page, still approves (same origin, session, CSRF token)
    await page.goto(`${agent.url}/approvals`);
    await page.locator(`li.approval[data-action-id="${kill!.id}"] input[name=by]`).fill('operator');
    await page.locator(`li.approval[data-action-id="${kill!.id}"] button.approve`).click();
    await page.waitForURL(/\/approvals\?done=approve/);
    expect((await agent.store.actions.get(kill!.id))!.decided_by).toBe('operator');
    await expect.poll(() => child.exitCode !== null || child.signalCode !== null).toBe(true);
  });
});
