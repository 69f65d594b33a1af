import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { alertmanagerBinary } from './binaries.js';

export { alertmanagerBinary };
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { freePort } from './netdata.js';

/** A real Prometheus Alertmanager (Debian prometheus-alertmanager) on 127.0.0.1, with a webhook receiver. */


export const ALERTMANAGER_MISSING =
  'prometheus-alertmanager is not installed (apt-get install -y prometheus-alertmanager): skipping the real-Alertmanager tests';

export interface AmAlertInput {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export interface TestAlertmanager {
  url: string;
  port: number;
  pid: number;
  postAlerts(alerts: AmAlertInput[]): Promise<void>;
  stop(): Promise<void>;
}

export interface AlertmanagerOptions {
  /** Where the webhook receiver posts (e.g. http://127.0.0.1:PORT/api/v1/webhooks/alertmanager?token=…). */
  webhookUrl: string;
  groupWait?: string;
  groupInterval?: string;
  /** Registers stop() with onTestFinished (default true; the benchmark manages it itself). */
  autoStop?: boolean;
}

export async function startAlertmanager(options: AlertmanagerOptions): Promise<TestAlertmanager> {
  const bin = alertmanagerBinary();
  if (!bin) throw new Error(ALERTMANAGER_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'opsagent-am-'));
  const port = await freePort();
  const config = `route:
  receiver: opsagent
  group_by: ['alertname', 'instance']
  group_wait: ${options.groupWait ?? '1s'}
  group_interval: ${options.groupInterval ?? '1s'}
  repeat_interval: 1h
receivers:
  - name: opsagent
    webhook_configs:
      - url: ${JSON.stringify(options.webhookUrl)}
        send_resolved: true
`;
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      `--log.level=${process.env.AM_LOG_LEVEL ?? 'warn'}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 10_000) stderr += d.toString();
    if (process.env.AM_LOG_LEVEL) process.stderr.write(d);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    })());
  if (options.autoStop !== false) onTestFinished(stop);

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited during start: ${stderr}`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`alertmanager did not become ready within 15 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    port,
    pid: child.pid ?? 0,
    async postAlerts(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (!res.ok) throw new Error(`alertmanager answered ${res.status}: ${await res.text()}`);
    },
    stop,
  };
}
