import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent, type RunningAgent } from '../../src/main.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { localToken } from './local-token.js';
import { tempDir } from './temp-store.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(PACKAGE_ROOT, 'test-artifacts');

/** Headless Debian Chromium with no network chatter of its own (the machine notes' flags). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: 30_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The real daemon on 127.0.0.1:0 with a temp database and no Netdata polling; stopped when the test finishes. */
export async function startTestAgent(overrides: Record<string, unknown> = {}): Promise<RunningAgent> {
  const dir = tempDir('opsagent-e2e-');
  const config = defaultConfig({
    netdata: { url: '' },
    opsagent: { serverId: 'e2e-agent' },
    discord: { enabled: false },
    server: { host: '127.0.0.1', port: 0 },
    ...overrides,
  });
  const agent = await startAgent(config, silentLogger(), { dbUrl: `file:${join(dir, 'opsagent.db')}`, home: dir });
  onTestFinished(() => agent.stop());
  return agent;
}

/** A page that fails the test on script errors and CSP violations (collected, asserted by the caller). */
export async function newPage(browser: Browser, options: { width?: number; height?: number } = {}): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 900 } });
  onTestFinished(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { page, problems };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Logs the page in to the dashboard as the operator would: the dashboard always asks for the steering credential,
 * which without server.apiToken is the local token (`opsagent token`). Lands on the issues page.
 */
export async function logIn(page: Page, agent: RunningAgent, token: string = localToken(agent)): Promise<void> {
  await page.goto(`${agent.url}/login`);
  await page.fill('input[name=token]', token);
  await page.click('form.login button');
  await page.waitForURL(`${agent.url}/`);
}

/** POSTs generic alert events to the daemon as a client would. */
export async function postAlerts(baseUrl: string, events: unknown[], token?: string): Promise<void> {
  const res = await fetch(`${baseUrl}/api/v1/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(events),
  });
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
}
