import type { AnalysisContext, DraftAnalysis, ProcessInfo } from '../types.js';

export type Proposal = DraftAnalysis['proposals'][number];

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function describeProcess(p: ProcessInfo): string {
  const cmd = p.cmdline && p.cmdline !== p.name ? ` (${p.cmdline.slice(0, 120)})` : '';
  return `'${p.name}' PID ${p.pid}${cmd}, user ${p.user}${p.unit ? `, unit ${p.unit}` : ''}: ${p.cpuPercent}% CPU, ${formatBytes(p.rssBytes)} RSS`;
}

export function chartEvidence(ctx: AnalysisContext): string[] {
  const c = ctx.chart;
  if (!c?.ok) return [];
  const dims = c.data.dimensions.filter((d) => d.last !== null).slice(0, 6);
  if (dims.length === 0) return [];
  return [`Netdata chart ${c.data.chart}, last 10 min: ${dims.map((d) => `${d.name} now ${d.last} (avg ${d.avg}, max ${d.max})`).join('; ')}`];
}

export function memoryEvidence(ctx: AnalysisContext): string[] {
  const mem = ctx.memory?.ok ? ctx.memory.data : undefined;
  return mem
    ? [`Memory ${mem.usedPercent}% used (${formatBytes(mem.availableBytes)} available of ${formatBytes(mem.totalBytes)}); swap ${mem.swapUsedPercent}% used of ${formatBytes(mem.swapTotalBytes)}`]
    : [];
}

/** The remediation for a process: restart its service when it has one (a leak or a loop there comes back), else kill it. */
export function processAction(p: ProcessInfo, why: string): Proposal {
  if (p.unit) return { type: 'restart_service', params: { service: p.unit }, reason: `${why}; it belongs to ${p.unit}, so restart the service rather than kill one process` };
  return { type: 'kill_process', params: { pid: p.pid, name: p.name, startTime: p.startTime }, reason: why };
}

export function notifyHuman(ctx: AnalysisContext, message: string, reason: string): Proposal {
  return { type: 'notify_human', params: { message: `${ctx.alert.name} on ${ctx.alert.serverId}: ${message}` }, reason };
}

export const LOOK_AT_LOGS: Proposal = { type: 'log_analysis', params: { minutes: 30 }, reason: 'look for errors around the time the alert fired' };

/** Nothing may be acted on: the top process (if any) as evidence, a log look and a person told. */
export function noCandidate(ctx: AnalysisContext, family: string, top: ProcessInfo | undefined): DraftAnalysis {
  const evidence = [...chartEvidence(ctx)];
  if (top) evidence.push(`Top process: ${describeProcess(top)}${top.excludedBecause ? ` — not a valid target: ${top.excludedBecause}` : ''}`);
  return {
    summary: `${family} alert ${ctx.alert.name}: no process may be acted on automatically`,
    likelyCause: top ? `Most likely ${describeProcess(top)}` : 'No dominant process found in the sample',
    evidence,
    confidence: 'low',
    proposals: [LOOK_AT_LOGS, notifyHuman(ctx, 'the top process cannot be remediated automatically; please check', 'a person must decide')],
  };
}

/**
 * An alarm no catalog action fixes (hardware, the network, kernel tuning): the facts, and a person told what an
 * operator would look at. `advice` is that look, in a sentence.
 */
export function notifyOnly(ctx: AnalysisContext, what: string, advice: string, evidence: string[] = []): DraftAnalysis {
  return {
    summary: `${what} (${ctx.alert.name})`,
    likelyCause: advice,
    evidence: [...chartEvidence(ctx), ...evidence],
    confidence: 'low',
    proposals: [notifyHuman(ctx, `${what}. ${advice}`, 'no catalog action fixes this safely; a person must decide')],
  };
}

/** The interface or device an alarm is about: the part after the chart's type (net.eth0 → eth0, disk_util.sda → sda). */
export function chartInstance(chart: string): string | undefined {
  const dot = chart.indexOf('.');
  const rest = dot >= 0 ? chart.slice(dot + 1) : '';
  return rest !== '' ? rest.slice(0, 100) : undefined;
}
