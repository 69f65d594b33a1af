import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { startChildDaemon } from './child-daemon.js';

/**
 * The three alert patterns of issue 15 against `opsagent run` started as a user starts it (the built CLI, a config
 * file, readonly, Discord on, analysis on its defaults) and a local Discord that speaks Execute Webhook (?wait=true)
 * and Edit Webhook Message. Counted: new messages (posts; edits are not messages), and the latency from the
 * acknowledgement of each alert (the 202 of POST /api/v1/alerts) to the first post or edit that shows its state.
 *   A: one critical alert raised and cleared 10 times, a transition every `spacingMs` (4 s in the issue).
 *   B: one alert warning → critical → clear, 5 s apart.
 *   C: 30 different critical alerts raised together, cleared together 15 s later.
 * Run alone: npx tsx bench/notify-patterns.ts [--quick]   (needs `npm run build` first)
 */

interface Seen {
  at: number;
  kind: 'post' | 'edit';
  messageId: string;
  embeds: { title?: string; description?: string; fields?: { name: string; value: string }[] }[];
}

interface Sink {
  hook: string;
  seen: Seen[];
  close(): void;
}

async function startSink(): Promise<Sink> {
  const seen: Seen[] = [];
  const bodies = new Map<string, Seen['embeds']>();
  let nextId = 1_290_000_000_000_000_000n;
  const answer = (res: ServerResponse, status: number, body: unknown, bucket: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '4', 'x-ratelimit-reset-after': '0.4', 'x-ratelimit-bucket': bucket });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const msg = JSON.parse(raw) as { embeds?: Seen['embeds'] };
      const embeds = msg.embeds ?? [];
      const edit = /\/messages\/(\d+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
      if (req.method === 'PATCH' && edit) {
        const id = edit[1]!;
        if (!bodies.has(id)) return answer(res, 404, { message: 'Unknown Message', code: 10008 }, 'edit');
        bodies.set(id, embeds);
        seen.push({ at: Date.now(), kind: 'edit', messageId: id, embeds });
        return answer(res, 200, { id, type: 0, channel_id: '1', webhook_id: '1', content: '', embeds, timestamp: new Date().toISOString() }, 'edit');
      }
      const id = String(nextId++);
      bodies.set(id, embeds);
      seen.push({ at: Date.now(), kind: 'post', messageId: id, embeds });
      answer(res, 200, { id, type: 0, channel_id: '1', webhook_id: '1', content: '', embeds, timestamp: new Date().toISOString() }, 'post');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { hook: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks/1/bench`, seen, close: () => server.close() };
}

type Shown = 'open-critical' | 'open-warning' | 'resolved';

/** What one request showed about an alert: a card's fields, or its line in a storm summary. */
function shownState(s: Seen, name: string): Shown | undefined {
  for (const e of s.embeds) {
    if (e.title?.includes(`${name} on `) && e.fields) {
      const status = e.fields.find((f) => f.name === 'Status')?.value;
      const severity = e.fields.find((f) => f.name === 'Severity')?.value;
      if (status === 'resolved' || status === 'closed') return 'resolved';
      if (status) return severity === 'critical' ? 'open-critical' : 'open-warning';
    }
    for (const line of (e.description ?? '').split('\n')) {
      if (!line.includes(` ${name} on `)) continue;
      return line.endsWith('· resolved') ? 'resolved' : 'open-critical';
    }
  }
  return undefined;
}

interface Event {
  name: string;
  expect: Shown;
  ackAt: number;
}

function latencyMs(sink: Sink, e: Event): number | null {
  const hit = sink.seen.find((s) => s.at >= e.ackAt - 5 && shownState(s, e.name) === e.expect);
  return hit ? hit.at - e.ackAt : null;
}

function p95(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post(base: string, alerts: { name: string; status: string }[]): Promise<number> {
  const r = await fetch(`${base}/api/v1/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts.map((a) => ({ ...a, value: a.status === 'CLEAR' ? 10 : 99, units: '%' }))),
  });
  if (r.status !== 202) throw new Error(`benchmark: ingest answered ${r.status}`);
  return Date.now();
}

export interface PatternResult {
  pattern: string;
  newMessages: number;
  edits: number;
  transitions: number;
  latencyP95Ms: number | null;
  latencyMaxMs: number | null;
  /** Latency of the last transition (the final state), ms; null = never shown. */
  finalStateMs: number | null;
  notShown: number;
  namesShown?: number;
}

async function runPattern(name: string, settleMinutes: number, drive: (base: string, events: Event[]) => Promise<void>, tailMs: number, names: string[]): Promise<PatternResult> {
  const sink = await startSink();
  const daemon = await startChildDaemon(
    `opsagent: { permissionLevel: readonly }\ndiscord: { enabled: true, webhookUrl: "${sink.hook}", digest: { enabled: false }, settleMinutes: ${settleMinutes} }\n`,
  );
  const events: Event[] = [];
  try {
    await drive(daemon.base, events);
    await sleep(tailMs);
  } finally {
    await daemon.stop();
    sink.close();
  }
  const lat = events.map((e) => latencyMs(sink, e));
  const shown = lat.filter((l): l is number => l !== null);
  const last = lat.at(-1) ?? null;
  const named = names.filter((n) => sink.seen.some((s) => shownState(s, n) !== undefined)).length;
  if (process.env.BENCH_VERBOSE) for (const s of sink.seen) console.error(`${name} ${s.kind} ${s.messageId} ${s.embeds.map((e) => e.title ?? (e.description ?? '').slice(0, 60)).join(' | ')}`);
  return {
    pattern: name,
    newMessages: sink.seen.filter((s) => s.kind === 'post').length,
    edits: sink.seen.filter((s) => s.kind === 'edit').length,
    transitions: events.length,
    latencyP95Ms: p95(shown),
    latencyMaxMs: shown.length ? Math.max(...shown) : null,
    finalStateMs: last,
    notShown: lat.filter((l) => l === null).length,
    ...(names.length > 1 ? { namesShown: named } : {}),
  };
}

export async function runNotifyPatternsBench(options: { spacingAMs?: number; quick?: boolean; only?: string } = {}): Promise<PatternResult[]> {
  const quick = options.quick === true;
  const spacingA = options.spacingAMs ?? (quick ? 2_000 : 4_000);
  const cyclesA = quick ? 4 : 10;
  const skip = (p: string) => options.only !== undefined && !options.only.includes(p);
  const results: PatternResult[] = [];
  if (!skip('A')) results.push(await runPattern(
    `A: ${cyclesA} raise/clear cycles, ${spacingA / 1000} s apart`,
    0.5,
    async (base, events) => {
      for (let i = 0; i < cyclesA * 2; i++) {
        const status = i % 2 === 0 ? 'CRITICAL' : 'CLEAR';
        events.push({ name: 'flappy_cpu', expect: i % 2 === 0 ? 'open-critical' : 'resolved', ackAt: await post(base, [{ name: 'flappy_cpu', status }]) });
        await sleep(spacingA);
      }
    },
    35_000, // the settle time (30 s, compressed from 10 min) and the final edit
    ['flappy_cpu'],
  ));
  if (!skip('B')) results.push(await runPattern(
    'B: warning → critical → clear, 5 s apart',
    10,
    async (base, events) => {
      for (const [status, expect] of [['WARNING', 'open-warning'], ['CRITICAL', 'open-critical'], ['CLEAR', 'resolved']] as const) {
        const ackAt = await post(base, [{ name: 'disk_io', status }]);
        if (status !== 'WARNING') events.push({ name: 'disk_io', expect, ackAt }); // a warning is not announced
        await sleep(5_000);
      }
    },
    2_000,
    ['disk_io'],
  ));
  const names = Array.from({ length: 30 }, (_, i) => `storm_${i}`);
  if (!skip('C')) results.push(await runPattern(
    'C: 30 critical alerts together, cleared 15 s later',
    10,
    async (base, events) => {
      const raised = await post(base, names.map((n) => ({ name: n, status: 'CRITICAL' })));
      for (const n of names) events.push({ name: n, expect: 'open-critical', ackAt: raised });
      await sleep(15_000);
      const cleared = await post(base, names.map((n) => ({ name: n, status: 'CLEAR' })));
      for (const n of names) events.push({ name: n, expect: 'resolved', ackAt: cleared });
    },
    5_000,
    names,
  ));
  return results;
}

/** Targets and peers as issue 15 gives them (Netdata 1.37 native Discord, Alertmanager defaults). */
const PEERS: Record<string, { netdata: string; alertmanager: string; target: string }> = {
  A: { netdata: '20 messages', alertmanager: '0–2, most transitions never shown', target: '≤ 2 new messages, final state shown ≤ 30 s' },
  B: { netdata: '3', alertmanager: '2, the clear 265 s late', target: '≤ 3, escalation and clear shown ≤ 2 s' },
  C: { netdata: '60', alertmanager: '60', target: '≤ 3 new messages, every name shown, first ≤ 2 s' },
};

/** The results as the markdown table of docs/BENCHMARKS.md. */
export function patternsTable(results: PatternResult[]): string[] {
  const ms = (v: number | null) => (v === null ? 'never' : `${(v / 1000).toFixed(1)} s`);
  const lines = [
    '| pattern | new messages | edits | transitions shown | latency p95 / max | final state | names shown | target (issue 15) | Netdata 1.37 | Alertmanager |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const peer = PEERS[r.pattern.slice(0, 1)]!;
    lines.push(
      `| ${r.pattern} | **${r.newMessages}** | ${r.edits} | ${r.transitions - r.notShown} / ${r.transitions} | ${ms(r.latencyP95Ms)} / ${ms(r.latencyMaxMs)} | ${ms(r.finalStateMs)} | ${r.namesShown ?? '1'} | ${peer.target} | ${peer.netdata} | ${peer.alertmanager} |`,
    );
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const results = await runNotifyPatternsBench({ quick: process.argv.includes('--quick'), ...(only ? { only } : {}) });
  console.log(JSON.stringify(results, null, 2));
  console.log(patternsTable(results).join('\n'));
}
