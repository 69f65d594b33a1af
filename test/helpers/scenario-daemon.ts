import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { stringify } from 'yaml';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { CLI, runCli, type CliResult } from './cli.js';

/**
 * `opsagent run --config <file>` started as an operator starts it (the built CLI in a child process), driven and
 * observed only from outside: its HTTP API and the CLI on the same config and database. Stopped with SIGTERM (then
 * SIGKILL) and its directory removed when the test finishes.
 */

export interface IssueComment {
  id: number;
  author_type: string;
  author_name: string | null;
  comment_type: string;
  content: string;
  metadata: Record<string, unknown> | null;
  created_at: number;
}

export interface IssueView {
  id: string;
  alert_fingerprint: string;
  server_id: string;
  title: string;
  severity: string;
  status: string;
  alert_count: number;
  resolved_at: number | null;
}

export interface IssueDetailView extends IssueView {
  comments: IssueComment[];
  actions: ActionView[];
}

export interface ActionView {
  id: string;
  issue_id: string;
  action_type: string;
  risk: string;
  status: string;
  params: Record<string, unknown>;
  params_hash: string;
  decided_by: string | null;
  success: boolean | null;
  verification: string | null;
  output: string | null;
}

export interface ScenarioDaemon {
  url: string;
  dir: string;
  configPath: string;
  dbPath: string;
  /** Everything the daemon wrote to stdout and stderr so far (JSON log lines). */
  output(): string;
  get<T>(path: string): Promise<T>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: unknown }>;
  /** The built CLI with this daemon's --config and --db. */
  cli(args: string[]): Promise<CliResult>;
  issues(): Promise<IssueView[]>;
  issue(id: string): Promise<IssueDetailView>;
  actions(issueId?: string): Promise<ActionView[]>;
  stop(): Promise<number | null>;
}

export const POLL_MS = 250;

/** Polls fn every 250 ms until it returns a value other than undefined/false; throws after timeoutMs with `what`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Writes `config` (merged over the test defaults: port 0, a temp database) as YAML and starts the daemon on it. */
export async function startScenarioDaemon(config: Record<string, unknown>): Promise<ScenarioDaemon> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (npm test does it)`);
  const dir = mkdtempSync(join(tmpdir(), 'opsagent-scenario-'));
  const dbPath = join(dir, 'opsagent.db');
  const configPath = join(dir, 'opsagent.yaml');
  const server = (config.server ?? {}) as Record<string, unknown>;
  writeFileSync(
    configPath,
    stringify({ ...config, database: { url: `file:${dbPath}` }, server: { host: '127.0.0.1', port: 0, ...server } }),
  );
  const env = { ...process.env, OPSAGENT_HOME: dir, OPSAGENT_CONFIG: '', CI: '1', OPSAGENT_DB_URL: '' };
  const child = spawn(process.execPath, [CLI, 'run', '--config', configPath], { cwd: PACKAGE_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  onTestFinished(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const url = await waitFor(
    'the daemon to start',
    () => {
      if (child.exitCode !== null) throw new Error(`opsagent run exited with ${child.exitCode}:\n${out}`);
      return /"url":"(http:[^"]+)"[^\n]*opsagent started|opsagent started[^\n]*"url":"(http:[^"]+)"/.exec(out)?.slice(1).find(Boolean);
    },
    30_000,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\n--- daemon output ---\n${out}`);
  });

  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  };
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: raw,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed };
  };
  return {
    url,
    dir,
    configPath,
    dbPath,
    output: () => out,
    get,
    post,
    cli: (args) => runCli(['--config', configPath, '--db', dbPath, ...args], { env: { OPSAGENT_HOME: dir, OPSAGENT_DB_URL: '' }, timeoutMs: 30_000 }),
    issues: async () => (await get<{ issues: IssueView[] }>('/api/v1/issues?status=all')).issues,
    issue: (id) => get<IssueDetailView>(`/api/v1/issues/${encodeURIComponent(id)}`),
    actions: async (issueId) => {
      const body = await get<{ actions: ActionView[] } | ActionView[]>(`/api/v1/actions${issueId ? `?issue_id=${encodeURIComponent(issueId)}` : ''}`);
      return Array.isArray(body) ? body : body.actions;
    },
    stop,
  };
}

/** The default config of a scenario daemon: the test's Netdata, fast polling and scans, no LLM, logs not read. */
export function scenarioConfig(options: {
  netdataUrl: string;
  webhookUrl: string;
  permissionLevel: 'readonly' | 'limited' | 'full';
  autoRemediate?: boolean;
  actions?: Record<string, unknown>;
  discord?: Record<string, unknown>;
  analysisEnabled?: boolean;
}): Record<string, unknown> {
  return {
    netdata: { url: options.netdataUrl, pollInterval: 0.5, timeoutMs: 3_000 },
    opsagent: { serverId: 'scenario-host', permissionLevel: options.permissionLevel, autoRemediate: options.autoRemediate ?? false },
    discord: {
      webhookUrl: options.webhookUrl,
      digest: { enabled: false },
      ...options.discord,
    },
    server: { publicUrl: 'http://opsagent.test' },
    llm: { apiKey: '' },
    analysis: { enabled: options.analysisEnabled ?? true, logFiles: [], gatherTimeoutMs: 5_000 },
    actions: {
      scanIntervalSeconds: 1,
      logAnalysis: { useJournal: false },
      ...options.actions,
    },
  };
}
