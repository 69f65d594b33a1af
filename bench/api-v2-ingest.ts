import { pathToFileURL } from 'node:url';
import { alertmanagerBinary } from '../test/helpers/binaries.js';
import { chunk, runStorm, startAlertmanager, startOpsagent, stormSettings, type ModeResult, type Settings, type Target } from './http-ingest.js';

/**
 * POST /api/v2/alerts on equal terms: OpsAgent's Alertmanager API v2 receiver and a real Alertmanager's get the same
 * bodies — alerts shaped as Prometheus sends them (labels, annotations, startsAt, endsAt, generatorURL), one per
 * request and 100 per request — and both answer 200 with an empty body. The machinery is the HTTP storm's (fresh
 * processes, the same warm-up, bursts rotating the target, server CPU per request from /proc).
 * As from a Prometheus, each label set is posted over and over: its first post is a new activation (a firing, on an
 * issue), every later one a re-send whose endsAt moved on, which OpsAgent commits to its SQLite file (the activation's
 * new endsAt) before answering; Alertmanager keeps it in memory.
 */

export interface ApiV2Result {
  settings: Settings;
  opsagent: { modes: ModeResult[]; peakRssMb: number | null; firings: number; issues: number; expectedFirings: number };
  alertmanager: { modes: ModeResult[]; peakRssMb: number | null } | { skipped: string };
  ratio: Record<string, { total: number; medianBurst: number; lowestBurst: number; highestBurst: number }> | null;
}

/** Prometheus-shaped alerts over `fingerprints` label sets; endsAt moves on with every post, as a re-send's does. */
export function prometheusBodies(o: Settings, per: number, count = o.alerts, name = 'bench_alert'): string[] {
  const t0 = Date.now();
  const startsAt = new Date(t0 - 60_000).toISOString();
  const alerts = Array.from({ length: count }, (_, i) => {
    const alertname = `${name}_${i % o.fingerprints}`;
    return {
      annotations: { summary: `${alertname} above threshold`, runbook_url: `https://runbooks.example/${alertname}` },
      endsAt: new Date(t0 + 240_000 + i).toISOString(),
      startsAt,
      generatorURL: `http://prometheus.example:9090/graph?g0.expr=${encodeURIComponent(`${alertname} > 90`)}&g0.tab=1`,
      labels: { alertname, instance: 'bench-1:9100', job: 'node', severity: (i % o.fingerprints) % 7 === 0 ? 'critical' : 'warning' },
    };
  });
  return chunk(alerts, per).map((c) => JSON.stringify(c));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const round2 = (x: number) => Math.round(x * 100) / 100;

export async function runApiV2Bench(opts: Partial<Settings> & { log?: (l: string) => void } = {}): Promise<ApiV2Result> {
  const o = stormSettings(opts);
  const log = opts.log ?? (() => undefined);
  const bin = alertmanagerBinary();
  const bodies = (per: number, count?: number, name?: string) => prometheusBodies(o, per, count, name);
  const targets: Target[] = [
    {
      key: 'opsagent',
      label: 'opsagent POST /api/v2/alerts (child process, SQLite file)',
      start: async () => {
        const r = await startOpsagent();
        return { ...r, url: new URL('/api/v2/alerts', r.url) };
      },
      bodies,
    },
    ...(bin ? [{ key: 'alertmanager', label: 'Prometheus Alertmanager POST /api/v2/alerts (in memory)', start: () => startAlertmanager(bin), bodies } as Target] : []),
  ];
  const run = await runStorm(targets, o, log);
  const ours = run.results.get('opsagent')!;
  for (const m of ours) if (m.failedRequests > 0) throw new Error(`benchmark: OpsAgent refused ${m.failedRequests} requests (${m.mode})`);
  // One activation per label set (the warm-up's and the storm's): every other post was a re-send.
  const expectedFirings = 2 * Math.min(o.fingerprints, o.warmup);
  const firings = run.inspected?.committedFirings ?? 0;
  if (firings !== expectedFirings) throw new Error(`benchmark: ${firings} firings counted, expected ${expectedFirings} (one per label set)`);
  const am: ApiV2Result['alertmanager'] = bin
    ? { modes: run.results.get('alertmanager')!, peakRssMb: run.peakRssMb.get('alertmanager') ?? null }
    : { skipped: 'prometheus-alertmanager is not installed' };
  const ratio =
    'modes' in am
      ? Object.fromEntries(
          ours.map((m, i) => {
            const theirs = am.modes[i]!;
            const perBurst = m.bursts.map((x, b) => x / theirs.bursts[b]!);
            return [m.mode, { total: round2(m.alertsPerSecond / theirs.alertsPerSecond), medianBurst: round2(median(perBurst)), lowestBurst: round2(Math.min(...perBurst)), highestBurst: round2(Math.max(...perBurst)) }];
          }),
        )
      : null;
  return {
    settings: o,
    opsagent: { modes: ours, peakRssMb: run.peakRssMb.get('opsagent') ?? null, firings, issues: run.inspected?.issues ?? 0, expectedFirings },
    alertmanager: am,
    ratio,
  };
}

/** The section of docs/BENCHMARKS.md (bench/run.ts), also printed by a standalone run. */
export function apiV2Markdown(r: ApiV2Result): string[] {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const lines = [
    `${fmt(r.settings.alerts)} alerts per target and mode over ${r.settings.fingerprints} label sets, shaped as Prometheus sends them (labels, annotations with a runbook_url, startsAt, an endsAt that moves on with every post, generatorURL), the same bodies to both, ${r.settings.concurrency} concurrent keep-alive connections; both answer 200 with an empty body. As from a Prometheus, the first post of a label set is a new activation (one firing on its issue) and every later one a re-send: OpsAgent commits each re-send's new endsAt to its SQLite file before it answers (its expiry must survive a restart); Alertmanager keeps alerts in memory. Same warm-up, bursts and rotation as the storm above.\n`,
    '| target | mode | req/s | alerts/s | server CPU per request | alerts/s of each burst | failed | peak RSS |\n|---|---|---|---|---|---|---|---|',
  ];
  const rows = [{ label: 'opsagent POST /api/v2/alerts (SQLite file)', ...r.opsagent }, ...('modes' in r.alertmanager ? [{ label: 'Prometheus Alertmanager POST /api/v2/alerts (in memory)', ...r.alertmanager }] : [])];
  for (const t of rows) {
    for (const m of t.modes) {
      const cpu = m.cpuMicrosPerRequest === null ? '?' : `${fmt(m.cpuMicrosPerRequest)} µs`;
      lines.push(`| ${t.label} | ${m.mode} | ${fmt(m.requestsPerSecond)} | ${fmt(m.alertsPerSecond)} | ${cpu} | ${m.bursts.map(fmt).join(' / ')} | ${m.failedRequests} | ${t.peakRssMb ?? '?'} MB |`);
    }
  }
  if (r.ratio) {
    const ratios = Object.entries(r.ratio).map(([k, v]) => `${k} **${v.total}×** (per burst: median ${v.medianBurst}×, ${v.lowestBurst}–${v.highestBurst}×)`);
    lines.push(`\nRatio OpsAgent / Alertmanager on /api/v2/alerts (alerts/s, target ≥ 1.0×): ${ratios.join('; ')}.`);
  } else lines.push(`\nAlertmanager: ${'skipped' in r.alertmanager ? r.alertmanager.skipped : ''}.`);
  lines.push(`Firings counted in OpsAgent's database afterwards: ${fmt(r.opsagent.firings)} on ${fmt(r.opsagent.issues)} issues, one per label set (${fmt(r.opsagent.expectedFirings)} expected): every re-send was told from a new activation.\n`);
  return lines;
}

// `npx tsx bench/api-v2-ingest.ts [alerts]` runs it alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const alerts = process.argv[2] ? Number(process.argv[2]) : undefined;
  const r = await runApiV2Bench({ ...(alerts ? { alerts } : {}), log: (l) => console.error(l) });
  console.log(apiV2Markdown(r).join('\n'));
}
