import { hostname } from 'node:os';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { startAgent } from '../../src/main.js';
import { freePort, NETDATA_MISSING, netdataBinary, startNetdata } from '../helpers/netdata.js';
import { tempDir } from '../helpers/temp-store.js';
import { requirePeer, skipWithout } from '../helpers/peers.js';
import { freshDatabase, requireBackend, testedBackends } from '../helpers/backends.js';

const ROOT = join(import.meta.dirname, '..', '..');

function captureLogger(): { logger: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ level: 'info', pretty: false, destination });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines };
}

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(testedBackends())('opsagent daemon on $label', (backend) => {
  requireBackend(backend);

  it('with no Netdata running says so once, keeps serving webhooks, and shows the source in /healthz and /metrics', async () => {
    const dir = tempDir();
    const deadPort = await freePort(); // nothing listens here
    const netdataUrl = `http://127.0.0.1:${deadPort}`;
    const { logger, lines } = captureLogger();
    const database = await freshDatabase(backend, dir);
    const config = defaultConfig({
      netdata: { url: netdataUrl, pollInterval: 0.1, timeoutMs: 500 },
      server: { host: '127.0.0.1', port: 0 },
      opsagent: { serverId: 'daemon-test' },
      database,
    });
    const agent = await startAgent(config, logger, { dbUrl: database.url, home: dir });
    onTestFinished(() => agent.stop());

    await until('a failed poll', async () => (await agent.metrics.render()).includes(`opsagent_poll_errors_total{source="netdata",url="${netdataUrl}"} 2`));
    const warnings = lines().filter((l) => l.level === 40 && String(l.msg).includes(netdataUrl));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!.msg)).toMatch(/Netdata at .* is unreachable: .*ECONNREFUSED.*polling it with backoff/);

    const health = await fetch(`${agent.url}/healthz`);
    expect(health.status).toBe(200);
    const report = (await health.json()) as { store: Record<string, unknown>; sources: Record<string, { state: string; url?: string }> };
    expect(report.sources[`netdata:${netdataUrl}`]).toMatchObject({ state: 'unreachable', url: netdataUrl });
    // the database by name (never its token) and how long a write transaction to it took
    expect(report.store).toMatchObject({ ok: true, location: database.url.startsWith('file:') ? join(dir, 'opsagent.db') : database.url });
    expect(report.store.latency_ms).toEqual(expect.any(Number));
    expect(database.authToken === '' || !JSON.stringify(report).includes(database.authToken)).toBe(true);

    const res = await fetch(`${agent.url}/api/v1/webhooks/netdata`, {
      method: 'POST',
      body: new URLSearchParams({ name: 'disk_full', chart: 'disk./', status: 'CRITICAL', unique_id: '7', alarm_id: '3', when: '1795783571' }),
    });
    expect(res.status).toBe(202);
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    expect(metrics).toContain('opsagent_events_ingested_total{source="netdata"} 1');
    expect(metrics).toContain('opsagent_events_ingested_total{source="alertmanager"} 0');
    expect(metrics).toMatch(/opsagent_open_issues\{severity="critical"\} 1/);
    expect(metrics).toMatch(/opsagent_ingest_seconds_sum \d/);
    expect(metrics).toMatch(/opsagent_poll_errors_total\{source="netdata",url="[^"]+"\} [1-9]/);
  });

  it.skipIf(skipWithout(netdataBinary() !== undefined))('polls a real Netdata and counts its events in /metrics, then logs its recovery', async () => {
    requirePeer(netdataBinary() !== undefined, NETDATA_MISSING);
    const nd = await startNetdata();
    const dir = tempDir();
    const { logger, lines } = captureLogger();
    const database = await freshDatabase(backend, dir);
    const config = defaultConfig({
      netdata: { url: nd.url, pollInterval: 0.3 },
      server: { host: '127.0.0.1', port: 0 },
      database,
    });
    const agent = await startAgent(config, logger, { dbUrl: database.url, home: dir });
    onTestFinished(() => agent.stop());
    await nd.raise('opsagent_test.cpu_usage', 'opsagent_test_cpu_usage', 95, 'CRITICAL');
    await until('the netdata event', async () => (await agent.metrics.render()).includes('opsagent_events_ingested_total{source="netdata"} 1'));
    const report = (await (await fetch(`${agent.url}/healthz`)).json()) as { sources: Record<string, { state: string; server_id?: string }> };
    // netdata.url is this machine's Netdata: its issues carry the agent's own id (the hostname by default)
    expect(report.sources[`netdata:${nd.url}`]).toMatchObject({ state: 'ok', server_id: hostname() });
    const [issue] = await agent.store.issues.list();
    expect(issue).toMatchObject({ server_id: hostname(), severity: 'critical', title: 'opsagent_test_cpu_usage' });

    await nd.stop();
    await until('the outage warning', () => lines().some((l) => l.level === 40 && String(l.msg).includes('is unreachable')));
    await nd.restart({ keepState: true });
    await until('the recovery line', () => lines().some((l) => String(l.msg).includes('is reachable again')), 10_000);
  });

});

describe('opsagent daemon process', () => {
  it('`opsagent run` stops on SIGTERM within 10 s with exit code 0', async () => {
    const dir = tempDir();
    const configFile = join(dir, 'opsagent.yaml');
    writeFileSync(
      configFile,
      `netdata: { url: "" }\ndatabase: { url: "file:${join(dir, 'opsagent.db')}" }\nserver: { host: "127.0.0.1", port: 0 }\ndiscord: { enabled: false }\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'run', '--config', configFile], {
      cwd: ROOT, // so --import tsx resolves
      env: { ...process.env, OPSAGENT_HOME: dir, CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await until('the daemon to start', () => out.includes('opsagent started') || child.exitCode !== null, 30_000);
    expect(child.exitCode).toBeNull();
    const url = /"url":"(http:[^"]+)"/.exec(out)?.[1];
    expect(url).toBeDefined();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(out).toContain('opsagent stopped');
  });
});
