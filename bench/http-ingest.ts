import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../src/paths.js';
import { freePort, procStatusMb } from './child-daemon.js';
import { alertmanagerBinary } from '../test/helpers/binaries.js';

/**
 * HTTP ingest storm: N alerts over F fingerprints, one alert per request and B per request, sent by a bounded pool of
 * keep-alive connections to (1) our daemon as a child process (`opsagent run` on a temp database; every 2xx means
 * committed) and (2) a real Prometheus Alertmanager's POST /api/v2/alerts (in memory only), in the same run.
 * The machine is shared and noisy, so the two are measured in alternating rounds, each on a fresh process, and the
 * medians are compared: a slow minute then hurts one round of each, not one target.
 */

export interface HttpIngestBenchOptions {
  alerts?: number; // default 50,000
  fingerprints?: number; // default 200
  batch?: number; // alerts per request in the batched mode, default 100
  concurrency?: number; // parallel keep-alive requests, default 48
  rounds?: number; // interleaved rounds (fresh processes each), default 3; medians are reported
  alertmanager?: boolean; // default true (skipped when the binary is missing)
  log?: (line: string) => void;
}

export interface ModeResult {
  mode: string;
  requests: number;
  alerts: number;
  seconds: number;
  requestsPerSecond: number;
  alertsPerSecond: number;
  failedRequests: number;
}

export interface TargetResult {
  target: string;
  /** The median round of each mode. */
  modes: ModeResult[];
  /** Every round's alerts/s per mode, in order. */
  rounds: Record<string, number[]>;
  /** The highest peak RSS of any round. */
  peakRssMb: number | null;
}

type RoundResult = Omit<TargetResult, 'rounds'>;

export interface HttpIngestBenchResult {
  alerts: number;
  fingerprints: number;
  batch: number;
  concurrency: number;
  rounds: number;
  /** Over all rounds: alerts answered 2xx, and firings counted in the daemons' databases afterwards. */
  opsagent: TargetResult & { committedFirings: number; acknowledged: number; issues: number };
  alertmanager: TargetResult | { skipped: string };
  /** Node's HTTP stack and Fastify alone on this machine (no validation, no storage): the floor under our figures. */
  floor: TargetResult;
  /** ours / Alertmanager per mode (alerts/s); > 1 means we are faster. */
  ratio: Record<string, number> | null;
}

async function waitFor(what: string, fn: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`benchmark: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

/** Sends the bodies with at most `concurrency` requests in flight over keep-alive sockets. */
async function storm(url: string, bodies: string[], concurrency: number, headers: Record<string, string> = {}): Promise<{ seconds: number; failed: number }> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  let failed = 0;
  const send = (body: string) =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
        },
        (res) => {
          if ((res.statusCode ?? 500) >= 300) failed++;
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(body);
    });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) await send(bodies[next++]!);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { seconds, failed };
}

function result(mode: string, requests: number, alerts: number, r: { seconds: number; failed: number }): ModeResult {
  return {
    mode,
    requests,
    alerts,
    seconds: Math.round(r.seconds * 100) / 100,
    requestsPerSecond: Math.round(requests / r.seconds),
    alertsPerSecond: Math.round(alerts / r.seconds),
    failedRequests: r.failed,
  };
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

type Settings = Required<Omit<HttpIngestBenchOptions, 'log' | 'alertmanager' | 'rounds'>>;

/** The request bodies of one mode for POST /api/v1/alerts: fresh event ids each time, so every alert counts. */
function genericAlertBodies(o: Settings, per: number): string[] {
  const now = Date.now();
  const run = Math.random().toString(36).slice(2, 8);
  const alerts = Array.from({ length: o.alerts }, (_, i) => ({
    server_id: 'bench', name: `bench_alert_${i % o.fingerprints}`, status: i % 7 === 0 ? 'CRITICAL' : 'WARNING',
    value: i % 100, units: '%', event_id: `${run}-${i}`, occurred_at: now + i,
  }));
  return chunk(alerts, per).map((c) => JSON.stringify(per === 1 ? c[0] : c));
}

/** Both modes against one target: one alert per request, then `o.batch` per request. */
async function stormModes(label: string, url: string, o: Settings, log: (l: string) => void, bodiesFor: (per: number) => string[]): Promise<ModeResult[]> {
  const modes: ModeResult[] = [];
  for (const per of [1, o.batch]) {
    const bodies = bodiesFor(per);
    const m = result(per === 1 ? 'one alert per request' : `${per} alerts per request`, bodies.length, o.alerts, await storm(url, bodies, o.concurrency));
    log(`${label}: ${m.mode}: ${m.requestsPerSecond} req/s, ${m.alertsPerSecond} alerts/s (${m.failedRequests} failed)`);
    modes.push(m);
  }
  return modes;
}

async function benchOpsagent(o: Settings, log: (l: string) => void): Promise<RoundResult & { committedFirings: number; issues: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'opsagent-http-bench-'));
  const port = await freePort();
  const config = join(dir, 'opsagent.yaml');
  // Analysis and Discord off: this measures ingest (the HTTP route, validation, the durable commit).
  writeFileSync(
    config,
    `netdata: { url: "" }\ndatabase: { url: "file:${join(dir, 'bench.db')}" }\nserver: { host: "127.0.0.1", port: ${port} }\n` +
      `discord: { enabled: false }\nanalysis: { enabled: false }\n`,
  );
  const built = join(PACKAGE_ROOT, 'dist/src/cli.js');
  const args = existsSync(built) ? [built] : ['--import', 'tsx', join(PACKAGE_ROOT, 'src/cli.ts')];
  const child = spawn(process.execPath, [...args, 'run', '--config', config], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, OPSAGENT_HOME: dir, OPSAGENT_LOG_LEVEL: 'warn', CI: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 10_000) stderr += d.toString();
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor('opsagent to answer /healthz', async () => {
      if (child.exitCode !== null) throw new Error(`opsagent exited: ${stderr}`);
      return fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    }, 30_000);
    const modes = await stormModes('opsagent', `${base}/api/v1/alerts`, o, log, (per) => genericAlertBodies(o, per));
    const res = await fetch(`${base}/api/v1/issues?status=open,investigating,resolved,closed&limit=1000`);
    const issues = (await res.json()) as { alert_count: number }[] | { issues: { alert_count: number }[] };
    const list = Array.isArray(issues) ? issues : issues.issues;
    const committedFirings = list.reduce((n, i) => n + i.alert_count, 0);
    return { target: 'opsagent (child process, SQLite file)', modes, peakRssMb: procStatusMb(child.pid, 'VmHWM'), committedFirings, issues: list.length };
  } finally {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Fastify alone (bench/fastify-floor.ts): the same requests, nothing validated or stored. */
async function benchFloor(o: Settings, log: (l: string) => void): Promise<RoundResult> {
  const port = await freePort();
  const built = join(PACKAGE_ROOT, 'dist/bench/fastify-floor.js');
  const args = existsSync(built) ? [built] : ['--import', 'tsx', join(PACKAGE_ROOT, 'bench/fastify-floor.ts')];
  const child = spawn(process.execPath, [...args, String(port)], { cwd: PACKAGE_ROOT, stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor('the Fastify floor to answer', async () => {
      if (child.exitCode !== null) throw new Error('the Fastify floor exited during start');
      return fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    }, 15_000);
    const modes = await stormModes('fastify floor', `${base}/api/v1/alerts`, o, log, (per) => genericAlertBodies(o, per));
    return { target: 'Fastify alone, nothing validated or stored (floor)', modes, peakRssMb: procStatusMb(child.pid, 'VmHWM') };
  } finally {
    await stopChild(child);
  }
}

async function benchAlertmanager(bin: string, o: Settings, log: (l: string) => void): Promise<RoundResult> {
  const dir = mkdtempSync(join(tmpdir(), 'opsagent-am-bench-'));
  const port = await freePort();
  writeFileSync(join(dir, 'am.yml'), `route: { receiver: blackhole, group_by: ['alertname'] }\nreceivers:\n  - name: blackhole\n`);
  const child = spawn(
    bin,
    [`--config.file=${join(dir, 'am.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    { stdio: 'ignore' },
  );
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor('alertmanager /-/ready', async () => {
      if (child.exitCode !== null) throw new Error('alertmanager exited during start');
      return fetch(`${base}/-/ready`).then((r) => r.ok, () => false);
    }, 15_000);
    const modes = await stormModes('alertmanager', `${base}/api/v2/alerts`, o, log, (per) => {
      const startsAt = new Date().toISOString();
      const alerts = Array.from({ length: o.alerts }, (_, i) => ({
        labels: { alertname: `bench_alert_${i % o.fingerprints}`, instance: 'bench', severity: i % 7 === 0 ? 'critical' : 'warning' },
        annotations: { value: String(i % 100) },
        startsAt,
      }));
      return chunk(alerts, per).map((c) => JSON.stringify(c));
    });
    return { target: 'Prometheus Alertmanager (in memory)', modes, peakRssMb: procStatusMb(child.pid, 'VmHWM') };
  } finally {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The median round per mode (by alerts/s), every round's figures, and the highest peak RSS. */
function summarize(rounds: RoundResult[]): TargetResult {
  const modes = rounds[0]!.modes.map((_, i) => {
    const sorted = rounds.map((r) => r.modes[i]!).sort((a, b) => a.alertsPerSecond - b.alertsPerSecond);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
  });
  const peaks = rounds.map((r) => r.peakRssMb).filter((v): v is number => v !== null);
  return {
    target: rounds[0]!.target,
    modes,
    rounds: Object.fromEntries(modes.map((m, i) => [m.mode, rounds.map((r) => r.modes[i]!.alertsPerSecond)])),
    peakRssMb: peaks.length > 0 ? Math.max(...peaks) : null,
  };
}

export async function runHttpIngestBench(opts: HttpIngestBenchOptions = {}): Promise<HttpIngestBenchResult> {
  const o = {
    alerts: opts.alerts ?? 50_000,
    fingerprints: opts.fingerprints ?? 200,
    batch: opts.batch ?? 100,
    concurrency: opts.concurrency ?? 48,
  };
  const rounds = Math.max(1, opts.rounds ?? 3);
  const log = opts.log ?? (() => undefined);
  const bin = opts.alertmanager === false ? undefined : alertmanagerBinary();
  const oursRounds: Awaited<ReturnType<typeof benchOpsagent>>[] = [];
  const amRounds: RoundResult[] = [];
  const floorRounds: RoundResult[] = [];
  for (let round = 1; round <= rounds; round++) {
    log(`round ${round} of ${rounds}`);
    // Rotate who goes first, so none always runs on the warmer (or the busier) part of a round.
    const targets = ['opsagent', 'alertmanager', 'floor'];
    const order = [...targets.slice((round - 1) % 3), ...targets.slice(0, (round - 1) % 3)];
    for (const target of order) {
      if (target === 'opsagent') oursRounds.push(await benchOpsagent(o, log));
      else if (target === 'floor') floorRounds.push(await benchFloor(o, log));
      else if (bin) amRounds.push(await benchAlertmanager(bin, o, log));
    }
  }
  // Each round's daemon starts on an empty database, so its counted firings must equal the alerts it acknowledged.
  const acknowledged = oursRounds.reduce((n, r) => n + r.modes.reduce((m, mode) => (mode.failedRequests === 0 ? m + mode.alerts : m), 0), 0);
  const committedFirings = oursRounds.reduce((n, r) => n + r.committedFirings, 0);
  if (committedFirings < acknowledged) throw new Error(`benchmark: ${acknowledged} alerts acknowledged but only ${committedFirings} counted`);
  const ours = { ...summarize(oursRounds), committedFirings, acknowledged, issues: oursRounds.at(-1)!.issues };
  const am: TargetResult | { skipped: string } = bin
    ? summarize(amRounds)
    : { skipped: opts.alertmanager === false ? 'disabled' : 'prometheus-alertmanager is not installed' };
  const ratio =
    'modes' in am
      ? Object.fromEntries(ours.modes.map((m, i) => [m.mode, Math.round((m.alertsPerSecond / am.modes[i]!.alertsPerSecond) * 100) / 100]))
      : null;
  return { ...o, rounds, opsagent: ours, alertmanager: am, floor: summarize(floorRounds), ratio };
}

// `npx tsx bench/http-ingest.ts [alerts]` runs it alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const alerts = process.argv[2] ? Number(process.argv[2]) : undefined;
  const r = await runHttpIngestBench({ ...(alerts ? { alerts } : {}), log: (l) => console.log(l) });
  console.log(JSON.stringify(r, null, 2));
}
