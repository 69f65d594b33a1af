import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
 * committed), (2) a real Prometheus Alertmanager's POST /api/v2/alerts (in memory only) and (3) Fastify alone on the
 * same route storing nothing (the floor), in the same run.
 * The machine is shared and its speed moves from second to second, so all three run at once (fresh processes, both
 * modes one after the other) and the alerts go in short bursts, rotating the target after each burst: a slow moment
 * then hurts a burst of each target, not one target's whole run. Totals are compared, and every burst's figure kept.
 */

export interface HttpIngestBenchOptions {
  alerts?: number; // per target and mode, default 50,000
  fingerprints?: number; // default 200
  batch?: number; // alerts per request in the batched mode, default 100
  concurrency?: number; // parallel keep-alive requests, default 48
  bursts?: number; // bursts per target and mode, default 10
  warmup?: number; // one-alert requests per target before measuring, on other alert names, default 2,000
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
  /** The target process's CPU time (user + system) per request, from /proc; null where unreadable. */
  cpuMicrosPerRequest: number | null;
  /** alerts/s of each burst, in order. */
  bursts: number[];
}

export interface TargetResult {
  target: string;
  modes: ModeResult[];
  /** Peak RSS of the target's process (one process takes both modes, one after the other). */
  peakRssMb: number | null;
}

export interface HttpIngestBenchResult {
  alerts: number;
  fingerprints: number;
  batch: number;
  concurrency: number;
  bursts: number;
  warmup: number;
  /** Alerts answered 2xx, and firings counted in the daemons' databases afterwards. */
  opsagent: TargetResult & { committedFirings: number; acknowledged: number; issues: number };
  alertmanager: TargetResult | { skipped: string };
  /** Node's HTTP stack and Fastify alone on this machine (no validation, no storage): the floor under our figures. */
  floor: TargetResult;
  /** ours / Alertmanager per mode: total alerts/s, and the median and range of the per-burst ratios. */
  ratio: Record<string, { total: number; medianBurst: number; lowestBurst: number; highestBurst: number }> | null;
}

async function waitFor(what: string, fn: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`benchmark: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

/** Waits for a just-started target; one that never gets ready is killed (and its files removed) before the error. */
async function readyOrKill(child: ChildProcess, what: string, fn: () => Promise<boolean>, timeoutMs: number, cleanup?: () => void): Promise<void> {
  try {
    await waitFor(what, fn, timeoutMs);
  } catch (err) {
    child.kill('SIGKILL');
    cleanup?.();
    throw err;
  }
}

/** Sends the bodies with at most `concurrency` requests in flight over the target's keep-alive sockets. */
export async function storm(agent: Agent, url: URL, bodies: string[], concurrency: number): Promise<{ seconds: number; failed: number }> {
  let next = 0;
  let failed = 0;
  const send = (body: string) =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
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
  return { seconds: (performance.now() - t0) / 1000, failed };
}

/** CPU time (user + system) of a process in µs, from /proc/<pid>/stat; null where unreadable. */
function cpuMicros(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000; // clock ticks of 10 ms
  } catch {
    return null;
  }
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export type Settings = Required<Omit<HttpIngestBenchOptions, 'log' | 'alertmanager'>>;

/** The request bodies of one mode for POST /api/v1/alerts: fresh event ids each time, so every alert counts. */
export function genericAlertBodies(o: Settings, per: number, count = o.alerts, name = 'bench_alert'): string[] {
  const now = Date.now();
  const run = Math.random().toString(36).slice(2, 8);
  const alerts = Array.from({ length: count }, (_, i) => ({
    server_id: 'bench', name: `${name}_${i % o.fingerprints}`, status: i % 7 === 0 ? 'CRITICAL' : 'WARNING',
    value: i % 100, units: '%', event_id: `${run}-${i}`, occurred_at: now + i,
  }));
  return chunk(alerts, per).map((c) => JSON.stringify(per === 1 ? c[0] : c));
}

function alertmanagerBodies(o: Settings, per: number, count = o.alerts, name = 'bench_alert'): string[] {
  const startsAt = new Date().toISOString();
  const alerts = Array.from({ length: count }, (_, i) => ({
    labels: { alertname: `${name}_${i % o.fingerprints}`, instance: 'bench', severity: i % 7 === 0 ? 'critical' : 'warning' },
    annotations: { value: String(i % 100) },
    startsAt,
  }));
  return chunk(alerts, per).map((c) => JSON.stringify(c));
}

/** One target process, started fresh for each mode. */
export interface Running {
  child: ChildProcess;
  url: URL;
  /** After the storm, before stopping: anything to read from the target (our daemon's counted firings). */
  inspect?: () => Promise<{ committedFirings: number; issues: number }>;
  cleanup?: () => void;
}

export interface Target {
  key: 'opsagent' | 'alertmanager' | 'floor' | 'baseline';
  label: string;
  start(): Promise<Running>;
  bodies(per: number, count?: number, name?: string): string[];
}

/** `opsagent run` of the build under `root` (this checkout by default; bench/compare-builds.ts passes another). */
export async function startOpsagent(root = PACKAGE_ROOT): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'opsagent-http-bench-'));
  const port = await freePort();
  const config = join(dir, 'opsagent.yaml');
  // Analysis and Discord off: this measures ingest (the HTTP route, validation, the durable commit).
  writeFileSync(
    config,
    `netdata: { url: "" }\ndatabase: { url: "file:${join(dir, 'bench.db')}" }\nserver: { host: "127.0.0.1", port: ${port} }\n` +
      `discord: { enabled: false }\nanalysis: { enabled: false }\n`,
  );
  const built = join(root, 'dist/src/cli.js');
  const args = existsSync(built) ? [built] : ['--import', 'tsx', join(root, 'src/cli.ts')];
  const child = spawn(process.execPath, [...args, 'run', '--config', config], {
    cwd: root,
    env: { ...process.env, OPSAGENT_HOME: dir, OPSAGENT_LOG_LEVEL: 'warn', CI: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 10_000) stderr += d.toString();
  });
  const base = `http://127.0.0.1:${port}`;
  const running: Running = {
    child,
    url: new URL(`${base}/api/v1/alerts`),
    inspect: async () => {
      const res = await fetch(`${base}/api/v1/issues?status=open,investigating,resolved,closed&limit=1000`);
      const body = (await res.json()) as { alert_count: number }[] | { issues: { alert_count: number }[] };
      const list = Array.isArray(body) ? body : body.issues;
      return { committedFirings: list.reduce((n, i) => n + i.alert_count, 0), issues: list.length };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  await readyOrKill(child, 'opsagent to answer /healthz', async () => {
    if (child.exitCode !== null) throw new Error(`opsagent exited: ${stderr}`);
    return fetch(`${base}/healthz`).then((r) => r.ok, () => false);
  }, 30_000, running.cleanup);
  return running;
}

/** Fastify alone (bench/fastify-floor.ts): the same requests, nothing validated or stored. */
async function startFloor(): Promise<Running> {
  const port = await freePort();
  const built = join(PACKAGE_ROOT, 'dist/bench/fastify-floor.js');
  const args = existsSync(built) ? [built] : ['--import', 'tsx', join(PACKAGE_ROOT, 'bench/fastify-floor.ts')];
  const child = spawn(process.execPath, [...args, String(port)], { cwd: PACKAGE_ROOT, stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  await readyOrKill(child, 'the Fastify floor to answer', async () => {
    if (child.exitCode !== null) throw new Error('the Fastify floor exited during start');
    return fetch(`${base}/healthz`).then((r) => r.ok, () => false);
  }, 15_000);
  return { child, url: new URL(`${base}/api/v1/alerts`) };
}

export async function startAlertmanager(bin: string): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'opsagent-am-bench-'));
  const port = await freePort();
  writeFileSync(join(dir, 'am.yml'), `route: { receiver: blackhole, group_by: ['alertname'] }\nreceivers:\n  - name: blackhole\n`);
  const child = spawn(
    bin,
    [`--config.file=${join(dir, 'am.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    { stdio: 'ignore' },
  );
  const base = `http://127.0.0.1:${port}`;
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  await readyOrKill(child, 'alertmanager /-/ready', async () => {
    if (child.exitCode !== null) throw new Error('alertmanager exited during start');
    return fetch(`${base}/-/ready`).then((r) => r.ok, () => false);
  }, 15_000, cleanup);
  return { child, url: new URL(`${base}/api/v2/alerts`), cleanup };
}

export interface StormRun {
  /** Per target, one result per mode. */
  results: Map<Target['key'], ModeResult[]>;
  warmupAcknowledged: Map<Target['key'], number>;
  peakRssMb: Map<Target['key'], number | null>;
  inspected: { committedFirings: number; issues: number } | undefined;
}

/** Sends one mode's alerts to every target in bursts, rotating which target goes first after each burst. */
async function runMode(targets: Target[], running: (Running & { agent: Agent })[], per: number, o: Settings, log: (l: string) => void): Promise<ModeResult[]> {
  const mode = per === 1 ? 'one alert per request' : `${per} alerts per request`;
  const bursts = targets.map((t) => chunk(t.bodies(per), Math.ceil(o.alerts / per / o.bursts)));
  const totals = targets.map(() => ({ seconds: 0, failed: 0, cpu: 0 as number | null, bursts: [] as number[] }));
  for (let b = 0; b < bursts[0]!.length; b++) {
    for (let k = 0; k < targets.length; k++) {
      const i = (b + k) % targets.length;
      const cpu0 = cpuMicros(running[i]!.child.pid);
      const r = await storm(running[i]!.agent, running[i]!.url, bursts[i]![b]!, o.concurrency);
      const cpu1 = cpuMicros(running[i]!.child.pid);
      const total = totals[i]!;
      total.seconds += r.seconds;
      total.failed += r.failed;
      total.cpu = total.cpu === null || cpu0 === null || cpu1 === null ? null : total.cpu + cpu1 - cpu0;
      total.bursts.push(Math.round((bursts[i]![b]!.length * per) / r.seconds));
    }
  }
  const requests = Math.ceil(o.alerts / per);
  return targets.map((t, i) => {
    const total = totals[i]!;
    const m: ModeResult = {
      mode,
      requests,
      alerts: o.alerts,
      seconds: Math.round(total.seconds * 100) / 100,
      requestsPerSecond: Math.round(requests / total.seconds),
      alertsPerSecond: Math.round(o.alerts / total.seconds),
      failedRequests: total.failed,
      cpuMicrosPerRequest: total.cpu === null ? null : Math.round(total.cpu / requests),
      bursts: total.bursts,
    };
    log(`${t.key}: ${mode}: ${m.requestsPerSecond} req/s, ${m.alertsPerSecond} alerts/s, ${m.cpuMicrosPerRequest ?? '?'} µs CPU/request (${m.failedRequests} failed)`);
    return m;
  });
}

/** Every target started fresh and all up at once, then each mode in turn on the same processes. */
export async function runStorm(targets: Target[], o: Settings, log: (l: string) => void): Promise<StormRun> {
  const running: (Running & { agent: Agent })[] = [];
  try {
    for (const t of targets) running.push({ ...(await t.start()), agent: new Agent({ keepAlive: true, maxSockets: o.concurrency }) });
    // A warm-up on other alert names, the same for every target: Node compiles its hot code during the first
    // thousands of requests, and a daemon that runs for days is measured warm.
    const warmupAcknowledged = new Map<Target['key'], number>();
    for (const [i, t] of targets.entries()) {
      const r = await storm(running[i]!.agent, running[i]!.url, t.bodies(1, o.warmup, 'warmup_alert'), o.concurrency);
      warmupAcknowledged.set(t.key, o.warmup - r.failed);
    }
    const results = new Map<Target['key'], ModeResult[]>(targets.map((t) => [t.key, []]));
    for (const per of [1, o.batch]) {
      const modes = await runMode(targets, running, per, o, log);
      targets.forEach((t, i) => results.get(t.key)!.push(modes[i]!));
    }
    const ours = running[targets.findIndex((t) => t.key === 'opsagent')];
    return {
      results,
      warmupAcknowledged,
      peakRssMb: new Map(targets.map((t, i) => [t.key, procStatusMb(running[i]!.child.pid, 'VmHWM')])),
      inspected: await ours?.inspect?.(),
    };
  } finally {
    for (const r of running) {
      r.agent.destroy();
      await stopChild(r.child);
      r.cleanup?.();
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** The storm's settings, defaults filled in: the same for every HTTP storm, so their runs compare. */
export function stormSettings(opts: Partial<Settings>): Settings {
  return {
    alerts: opts.alerts ?? 50_000,
    fingerprints: opts.fingerprints ?? 200,
    batch: opts.batch ?? 100,
    concurrency: opts.concurrency ?? 48,
    bursts: Math.max(1, opts.bursts ?? 10),
    warmup: opts.warmup ?? 2_000,
  };
}

export async function runHttpIngestBench(opts: HttpIngestBenchOptions = {}): Promise<HttpIngestBenchResult> {
  const o = stormSettings(opts);
  const log = opts.log ?? (() => undefined);
  const bin = opts.alertmanager === false ? undefined : alertmanagerBinary();
  const targets: Target[] = [
    { key: 'opsagent', label: 'opsagent (child process, SQLite file)', start: startOpsagent, bodies: (per, count, name) => genericAlertBodies(o, per, count, name) },
    ...(bin
      ? [{ key: 'alertmanager', label: 'Prometheus Alertmanager (in memory)', start: () => startAlertmanager(bin), bodies: (per: number, count?: number, name?: string) => alertmanagerBodies(o, per, count, name) } as Target]
      : []),
    { key: 'floor', label: 'Fastify alone, nothing validated or stored (floor)', start: startFloor, bodies: (per, count, name) => genericAlertBodies(o, per, count, name) },
  ];
  const run = await runStorm(targets, o, log);
  const resultOf = (key: Target['key'], label: string): TargetResult => ({ target: label, modes: run.results.get(key)!, peakRssMb: run.peakRssMb.get(key) ?? null });
  // The daemon starts on an empty database, so its counted firings must equal the alerts it acknowledged.
  const acknowledged = run.results.get('opsagent')!.reduce((n, m) => (m.failedRequests === 0 ? n + m.alerts : n), run.warmupAcknowledged.get('opsagent') ?? 0);
  const committedFirings = run.inspected?.committedFirings ?? 0;
  if (committedFirings < acknowledged) throw new Error(`benchmark: ${acknowledged} alerts acknowledged but only ${committedFirings} counted`);
  const ours = { ...resultOf('opsagent', targets[0]!.label), committedFirings, acknowledged, issues: run.inspected?.issues ?? 0 };
  const am: TargetResult | { skipped: string } = bin
    ? resultOf('alertmanager', targets[1]!.label)
    : { skipped: opts.alertmanager === false ? 'disabled' : 'prometheus-alertmanager is not installed' };
  const ratio =
    'modes' in am
      ? Object.fromEntries(
          ours.modes.map((m, i) => {
            const theirs = am.modes[i]!;
            const perBurst = m.bursts.map((x, b) => x / theirs.bursts[b]!);
            return [m.mode, { total: round2(m.alertsPerSecond / theirs.alertsPerSecond), medianBurst: round2(median(perBurst)), lowestBurst: round2(Math.min(...perBurst)), highestBurst: round2(Math.max(...perBurst)) }];
          }),
        )
      : null;
  return { ...o, opsagent: ours, alertmanager: am, floor: resultOf('floor', targets.at(-1)!.label), ratio };
}

// `npx tsx bench/http-ingest.ts [alerts]` runs it alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const alerts = process.argv[2] ? Number(process.argv[2]) : undefined;
  const r = await runHttpIngestBench({ ...(alerts ? { alerts } : {}), log: (l) => console.log(l) });
  console.log(JSON.stringify(r, null, 2));
}
