import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { onTestFinished } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { CLI } from '../helpers/cli.js';

/** Shared pieces of the reliability suite: a real daemon process, storms with bounded concurrency, database checks. */

export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A seeded PRNG (mulberry32), so a failing storm can be replayed with RELIABILITY_SEED. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1_000_000);

/** Writes a daemon config for `opsagent run`: no Netdata polling, no Discord, no analysis unless overridden. */
export function writeDaemonConfig(dir: string, dbPath: string, port: number, extra = ''): string {
  const file = join(dir, `opsagent-${port}.yaml`);
  writeFileSync(
    file,
    [
      'netdata: { url: "" }',
      'opsagent: { serverId: "reliability-agent" }',
      'discord: { enabled: false, webhookUrl: "" }',
      `database: { url: "file:${dbPath}" }`,
      `server: { host: "127.0.0.1", port: ${port} }`,
      'analysis: { enabled: false }',
      extra,
      '',
    ].join('\n'),
  );
  return file;
}

export interface DaemonProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<string>;
}

/** Starts `node dist/src/cli.js run --config <file>` and waits until it logs "opsagent started". */
export async function startDaemon(configFile: string, home: string): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [CLI, 'run', '--config', configFile], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, OPSAGENT_HOME: home, OPSAGENT_CONFIG: '', CI: '1', OPSAGENT_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const url = await until(
    'the daemon to start',
    () => {
      if (child.exitCode !== null) throw new Error(`daemon exited during start (${child.exitCode}): ${out.slice(-2_000)}`);
      return /"msg":"opsagent started"/.test(out) ? /"url":"(http:[^"]+)"/.exec(out)?.[1] : undefined;
    },
    30_000,
  );
  return { child, url, output: () => out, exited };
}

export async function sigkill(daemon: DaemonProcess): Promise<void> {
  daemon.child.kill('SIGKILL');
  await daemon.exited;
}

/** Runs `tasks` workers of `fn` until `stop()` is true; each worker awaits its own request (bounded concurrency). */
export async function workers(count: number, fn: (worker: number) => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => fn(i)));
}

/** One planned ingest request: its events' keys, whether each key is a firing, and how to send it. */
export interface PlannedRequest {
  path: string;
  contentType: string;
  body: string;
  /** [source, event_key, firing] per event. */
  keys: [string, string, boolean][];
}

/** Builds the requests of a storm over a fixed set of alert names on a few servers (so firings pile onto issues). */
export function requestPlanner(prefix: string, random: () => number, options: { names?: number; clearRate?: number } = {}) {
  const names = options.names ?? 12;
  const clearRate = options.clearRate ?? 0.05;
  let seq = 0;
  const name = () => `storm_alert_${Math.floor(random() * names)}`;
  const status = () => (random() < clearRate ? 'CLEAR' : random() < 0.3 ? 'CRITICAL' : 'WARNING');

  const generic = (): PlannedRequest => {
    const n = 1 + Math.floor(random() * (random() < 0.2 ? 50 : 5));
    const events = Array.from({ length: n }, () => {
      const s = status();
      const key = `${prefix}-g-${seq++}`;
      return { key, body: { server_id: `host-${Math.floor(random() * 3)}`, name: name(), status: s, value: Math.round(random() * 1000) / 10, units: '%', event_key: key } };
    });
    return {
      path: '/api/v1/alerts',
      contentType: 'application/json',
      body: JSON.stringify(events.length === 1 ? events[0]!.body : events.map((e) => e.body)),
      keys: events.map((e) => ['opsagent', e.key, e.body.status !== 'CLEAR']),
    };
  };

  const netdata = (): PlannedRequest => {
    const id = seq++;
    const s = status();
    const alarmId = String(1 + Math.floor(random() * names));
    const vars = { name: `nd_${name()}`, chart: 'system.cpu', context: 'cpu.cpu', status: s, unique_id: String(id), alarm_id: alarmId, value: '91.5', units: '%' };
    const asForm = random() < 0.5;
    return {
      path: `/api/v1/webhooks/netdata?server_id=${prefix}-nd`,
      contentType: asForm ? 'application/x-www-form-urlencoded' : 'application/json',
      body: asForm ? new URLSearchParams(vars).toString() : JSON.stringify(vars),
      keys: [['netdata', `${prefix}-nd:${alarmId}:${id}`, s !== 'CLEAR']],
    };
  };

  const alertmanager = (): PlannedRequest => {
    const n = 1 + Math.floor(random() * 3);
    const alerts = Array.from({ length: n }, () => {
      const id = seq++;
      const fingerprint = `${prefix}fp${Math.floor(random() * names)}`;
      const startsAt = new Date(1_700_000_000_000 + id * 1000).toISOString();
      return { fingerprint, startsAt, alert: { status: 'firing', labels: { alertname: `am_${name()}`, instance: 'am-host:9100', severity: random() < 0.3 ? 'critical' : 'warning' }, annotations: { summary: 'storm' }, startsAt, endsAt: '0001-01-01T00:00:00Z', fingerprint } };
    });
    return {
      path: '/api/v1/webhooks/alertmanager',
      contentType: 'application/json',
      body: JSON.stringify({ version: '4', status: 'firing', receiver: 'opsagent', groupLabels: {}, commonLabels: {}, alerts: alerts.map((a) => a.alert) }),
      keys: alerts.map((a): [string, string, boolean] => ['alertmanager', `${a.fingerprint}:${a.startsAt}:firing`, true]),
    };
  };

  return (): PlannedRequest => {
    const r = random();
    return r < 0.6 ? generic() : r < 0.8 ? netdata() : alertmanager();
  };
}

/** Sends a planned request; true = acknowledged (2xx, committed), false = refused/failed (the client retries). */
export async function send(baseUrl: string, req: PlannedRequest, timeoutMs = 10_000): Promise<{ ok: boolean; status: number | 'network'; duplicates: number }> {
  try {
    const res = await fetch(`${baseUrl}${req.path}`, {
      method: 'POST',
      headers: { 'content-type': req.contentType },
      body: req.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const ok = res.status >= 200 && res.status < 300;
    // Events the daemon had already committed (a retry of a request whose answer was lost) come back as duplicates.
    const duplicates = ok ? ((JSON.parse(text) as { results?: { outcome: string }[] }).results ?? []).filter((r) => r.outcome === 'duplicate').length : 0;
    return { ok, status: res.status, duplicates };
  } catch {
    return { ok: false, status: 'network', duplicates: 0 };
  }
}

export interface DbFacts {
  integrity: string;
  issues: number;
  activeDuplicates: number;
  issueDuplicates: number;
  alertCountSum: number;
  ingestKeys: Set<string>;
  /** issue id -> alert_count */
  alertCounts: Map<string, number>;
  /** issue id -> keys recorded against it */
  keysByIssue: Map<string, string[]>;
}

/** Reads what the database holds (the daemons may still run: WAL readers do not block them). */
export function dbFacts(path: string): DbFacts {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true, timeout: 10_000 });
  try {
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    const n = (sql: string) => Number((db.prepare(sql).get() as { n: number }).n);
    const alertCounts = new Map<string, number>();
    for (const r of db.prepare('SELECT id, alert_count FROM issues').all() as { id: string; alert_count: number }[]) alertCounts.set(r.id, r.alert_count);
    const ingestKeys = new Set<string>();
    const keysByIssue = new Map<string, string[]>();
    for (const r of db.prepare('SELECT source, event_key, issue_id FROM ingest_keys').all() as { source: string; event_key: string; issue_id: string | null }[]) {
      const k = `${r.source}|${r.event_key}`;
      ingestKeys.add(k);
      if (r.issue_id) keysByIssue.set(r.issue_id, [...(keysByIssue.get(r.issue_id) ?? []), k]);
    }
    return {
      integrity,
      issues: alertCounts.size,
      activeDuplicates: n(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM issues WHERE status IN ('open','investigating') GROUP BY server_id, alert_fingerprint HAVING COUNT(*) > 1)`),
      issueDuplicates: n('SELECT COUNT(*) AS n FROM (SELECT 1 FROM issues GROUP BY server_id, alert_fingerprint HAVING COUNT(*) > 1)'),
      alertCountSum: n('SELECT COALESCE(SUM(alert_count), 0) AS n FROM issues'),
      ingestKeys,
      alertCounts,
      keysByIssue,
    };
  } finally {
    db.close();
  }
}

/**
 * The accounting every storm ends with: every acknowledged key is stored, nothing unknown is stored, and each
 * issue's alert_count equals the firing events recorded against it (a retried event counted once).
 */
export function checkAccounting(facts: DbFacts, acked: Set<string>, planned: Map<string, boolean>): { lost: string[]; unknown: string[]; miscounted: string[] } {
  const lost = [...acked].filter((k) => !facts.ingestKeys.has(k));
  const unknown = [...facts.ingestKeys].filter((k) => !planned.has(k));
  const miscounted: string[] = [];
  for (const [issueId, count] of facts.alertCounts) {
    const firings = (facts.keysByIssue.get(issueId) ?? []).filter((k) => planned.get(k) === true).length;
    if (firings !== count) miscounted.push(`${issueId}: alert_count ${count}, firing events ${firings}`);
  }
  return { lost, unknown, miscounted };
}
