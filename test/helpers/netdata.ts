import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { netdataBinary } from './binaries.js';

export { netdataBinary };
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { onTestFinished } from 'vitest';

/**
 * An isolated Netdata 1.37 for tests, started by test/fixtures/netdata/start-netdata.sh on free 127.0.0.1 ports with
 * statsd-fed test alarms (opsagent_test_cpu_usage, opsagent_test_disk_usage: > 80 WARNING, > 90 CRITICAL).
 * Always stopped (and its dir removed) when the test finishes.
 */

const run = promisify(execFile);
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'netdata');
export const ALARM_NOTIFY = '/usr/lib/netdata/plugins.d/alarm-notify.sh';


export const NETDATA_MISSING = 'netdata is not installed (apt-get install -y netdata): skipping the real-Netdata tests';

/** A port free for TCP and UDP on 127.0.0.1 right now (statsd uses both). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const sock = createSocket('udp4');
      sock.once('error', () => resolve(false));
      sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
    });
    if (port > 0 && udpFree) return port;
  }
  throw new Error('no free port found');
}

export interface NetdataOptions {
  webPort?: number;
  statsdPort?: number;
  /** Extra environment for start-netdata.sh: ALARM_SCRIPT, ALARM_TO, NOTIFY_CONF, EXTRA_HEALTH, APPS_GROUPS, … */
  env?: Record<string, string>;
}

export interface AlarmState {
  name: string;
  chart: string;
  status: string;
  value: number | null;
  id: number;
}

export interface TestNetdata {
  url: string;
  webPort: number;
  statsdPort: number;
  dir: string;
  pid(): number;
  push(metric: string, value: number): Promise<void>;
  /** Every alarm linked to a chart (/api/v1/alarms?all), by name. */
  alarms(): Promise<Record<string, AlarmState>>;
  waitForAlarm(name: string, status: string, timeoutMs?: number): Promise<AlarmState>;
  /** Sets a gauge and waits until the alarm reports the status that value implies. */
  raise(metric: string, alarm: string, value: number, status: string, timeoutMs?: number): Promise<AlarmState>;
  stop(): Promise<void>;
  /** Stops and starts again on the same ports; keepState=false wipes the alarm log and ids (a "fresh" Netdata). */
  restart(options?: { keepState?: boolean }): Promise<void>;
}

async function script(name: string, args: string[], env: Record<string, string>): Promise<string> {
  try {
    const { stdout } = await run('bash', [join(FIXTURES, name), ...args], { env: { ...process.env, ...env }, timeout: 45_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    throw new Error(`${name} failed: ${e.stderr || e.message}`);
  }
}

export async function startNetdata(options: NetdataOptions = {}): Promise<TestNetdata> {
  const base = mkdtempSync(join(tmpdir(), 'opsagent-netdata-'));
  const dir = join(base, 'nd');
  const webPort = options.webPort ?? (await freePort());
  let statsdPort = options.statsdPort ?? (await freePort());
  while (statsdPort === webPort) statsdPort = await freePort();
  const env = { NETDATA_HOSTNAME: 'opsagent-test', ...options.env };
  const url = `http://127.0.0.1:${webPort}`;
  let pid = 0;

  const readPid = async () => {
    const { readFile } = await import('node:fs/promises');
    pid = Number((await readFile(join(dir, 'netdata.pid'), 'utf8')).trim());
  };
  const start = async (extra: Record<string, string> = {}) => {
    await script('start-netdata.sh', [dir, String(webPort), String(statsdPort)], { ...env, ...extra });
    await readPid();
  };
  const stop = async () => {
    await script('stop-netdata.sh', [dir], {});
  };

  onTestFinished(async () => {
    await stop().catch(() => undefined);
    rmSync(base, { recursive: true, force: true });
  });
  await start();

  const alarms = async (): Promise<Record<string, AlarmState>> => {
    const res = await fetch(`${url}/api/v1/alarms?all`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { alarms: Record<string, AlarmState> };
    return Object.fromEntries(Object.values(body.alarms).map((a) => [a.name, a]));
  };
  const waitForAlarm = async (name: string, status: string, timeoutMs = 8_000): Promise<AlarmState> => {
    const deadline = Date.now() + timeoutMs;
    let last: AlarmState | undefined;
    while (Date.now() < deadline) {
      try {
        last = (await alarms())[name];
        if (last?.status === status) return last;
      } catch {
        // not answering yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`alarm ${name} did not reach ${status} within ${timeoutMs} ms (last: ${last?.status ?? 'absent'})`);
  };
  const push = (metric: string, value: number) =>
    new Promise<void>((resolve, reject) => {
      if (!/^[A-Za-z0-9_.-]+$/.test(metric)) return reject(new Error(`bad metric name ${metric}`));
      const sock = createSocket('udp4');
      // a negative gauge value is relative in statsd: reset to 0 first
      const msg = value < 0 ? `${metric}:0|g\n${metric}:${value}|g\n` : `${metric}:${value}|g\n`;
      sock.send(msg, statsdPort, '127.0.0.1', (err) => {
        sock.close();
        if (err) reject(err);
        else resolve();
      });
    });

  return {
    url,
    webPort,
    statsdPort,
    dir,
    pid: () => pid,
    push,
    alarms,
    waitForAlarm,
    async raise(metric, alarm, value, status, timeoutMs) {
      await push(metric, value);
      return waitForAlarm(alarm, status, timeoutMs);
    },
    stop,
    async restart(opts = {}) {
      await stop();
      await start(opts.keepState ? { KEEP_STATE: '1' } : {});
    },
  };
}
