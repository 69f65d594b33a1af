import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateProposal } from '../../src/model/action-catalog.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { launchBrowser, newPage, postAlerts, screenshot, startTestAgent } from '../helpers/browser.js';

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
    // open (no token) means loopback only: a foreign Host header is a DNS-rebinding page and is refused
    expect((await agent.app.inject({ url: '/', headers: { host: 'evil.example:8080' } })).statusCode).toBe(403);
    const { page, problems } = await newPage(browser);

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
    expect(problems.filter((p) => !p.includes('401') && !p.includes('403'))).toEqual([]);
  });
});
