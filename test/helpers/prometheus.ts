import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { prometheusBinary } from './binaries.js';
import { freePort } from './netdata.js';

export { prometheusBinary };

/**
 * A real Prometheus server (Debian's prometheus) on 127.0.0.1 with no scrape targets: alerting rules on constant
 * expressions (`vector(1)` fires, `vector(1) == 0` is empty), evaluated every second, sending to an Alertmanager API
 * v2 receiver with a bearer token. The resend delay is 5 s instead of 1 min (a minute holds ~10 re-sends of each
 * alert), so each firing alert's endsAt is now + 20 s (4 × max(evaluation interval, resend delay)): long enough that
 * a restart of Prometheus does not let its alerts expire, as a real 1 min delay (endsAt + 4 min) never does.
 */

export const PROMETHEUS_MISSING = 'prometheus is not installed (apt-get install -y prometheus): skipping the real-Prometheus tests';

export interface AlertRule {
  alert: string;
  firing: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface TestPrometheus {
  url: string;
  /** Rewrites the rule file and reloads it (SIGHUP); resolves once Prometheus has loaded it. */
  setRules(rules: AlertRule[]): Promise<void>;
  /** A counter or gauge of Prometheus' own /metrics, summed over its series (e.g. prometheus_notifications_sent_total). */
  metric(name: string): Promise<number>;
  /** SIGTERM and start again on the same data and port (what an operator's restart does). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** host:port of the receiver (its /api/v2/alerts). */
  target: string;
  token: string;
  rules: AlertRule[];
  /** --rules.alert.resend-delay (default 5s). */
  resendDelay?: string;
}

function rulesYaml(rules: AlertRule[]): string {
  const body = rules
    .map((r) =>
      [
        `      - alert: ${r.alert}`,
        `        expr: ${r.firing ? 'vector(1)' : 'vector(1) == 0'}`,
        `        labels: ${JSON.stringify(r.labels ?? {})}`,
        `        annotations: ${JSON.stringify(r.annotations ?? {})}`,
      ].join('\n'),
    )
    .join('\n');
  return `groups:\n  - name: opsagent-test\n    interval: 1s\n    rules:\n${body}\n`;
}

export async function startPrometheus(options: PrometheusOptions): Promise<TestPrometheus> {
  const bin = prometheusBinary();
  if (!bin) throw new Error(PROMETHEUS_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'opsagent-prom-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const rulesFile = join(dir, 'rules.yml');
  writeFileSync(rulesFile, rulesYaml(options.rules));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { evaluation_interval: 1s, scrape_interval: 1m }
rule_files: [${JSON.stringify(rulesFile)}]
alerting:
  alertmanagers:
    - api_version: v2
      timeout: 5s
      authorization: { credentials: ${JSON.stringify(options.token)} }
      static_configs: [ { targets: [${JSON.stringify(options.target)}] } ]
`,
  );
  let child: ChildProcess | undefined;
  let stderr = '';
  const launch = async () => {
    stderr = '';
    const c = spawn(
      bin,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--rules.alert.resend-delay=${options.resendDelay ?? '5s'}`,
        `--log.level=${process.env.PROM_LOG_LEVEL ?? 'warn'}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    c.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 20_000) stderr += d.toString();
      if (process.env.PROM_LOG_LEVEL) process.stderr.write(d);
    });
    child = c;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`prometheus exited during start: ${stderr}`);
      const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`prometheus did not become ready within 20 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    })());
  onTestFinished(stop);
  try {
    await launch();
  } catch (err) {
    await stop();
    throw err;
  }

  const metric = async (name: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  };

  return {
    url,
    metric,
    async setRules(rules) {
      const before = await metric('prometheus_config_last_reload_success_timestamp_seconds');
      writeFileSync(rulesFile, rulesYaml(rules));
      child?.kill('SIGHUP');
      const deadline = Date.now() + 10_000;
      while ((await metric('prometheus_config_last_reload_success_timestamp_seconds')) <= before) {
        if (Date.now() > deadline) throw new Error(`prometheus did not reload its rules: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async restart() {
      await kill();
      await launch();
    },
    stop,
  };
}
