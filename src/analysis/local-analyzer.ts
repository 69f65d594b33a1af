import type { AnalysisContext, DraftAnalysis, ProcessInfo } from './types.js';

export type AlertFamily = 'disk' | 'memory' | 'cpu' | 'other';

/** Which rule set applies, from the alert's name, context and chart (Netdata names: disk_space_usage, ram_in_use, …). */
export function alertFamily(alert: Pick<AnalysisContext['alert'], 'name' | 'context' | 'chart'>): AlertFamily {
  const text = `${alert.name} ${alert.context} ${alert.chart}`.toLowerCase();
  if (/disk[._]space|disk[._]inode|inode|out_of_disk|disk_full|filesystem|fs[._]space|no_space|\bdf\b/.test(text)) return 'disk';
  if (/\bram\b|ram[._]|mem(ory)?|swap|oom/.test(text)) return 'memory';
  if (/cpu|load|softirq|steal|runq/.test(text)) return 'cpu';
  return 'other';
}

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

function describeProcess(p: ProcessInfo): string {
  const cmd = p.cmdline && p.cmdline !== p.name ? ` (${p.cmdline.slice(0, 120)})` : '';
  return `'${p.name}' PID ${p.pid}${cmd}, user ${p.user}${p.unit ? `, unit ${p.unit}` : ''}: ${p.cpuPercent}% CPU, ${formatBytes(p.rssBytes)} RSS`;
}

function chartEvidence(ctx: AnalysisContext): string[] {
  const c = ctx.chart;
  if (!c?.ok) return [];
  const dims = c.data.dimensions.filter((d) => d.last !== null).slice(0, 6);
  if (dims.length === 0) return [];
  return [`Netdata chart ${c.data.chart}, last 10 min: ${dims.map((d) => `${d.name} now ${d.last} (avg ${d.avg}, max ${d.max})`).join('; ')}`];
}

/** The remediation for a process: restart its service when it has one (a leak or a loop there comes back), else kill it. */
function processAction(p: ProcessInfo, why: string): DraftAnalysis['proposals'][number] {
  if (p.unit) return { type: 'restart_service', params: { service: p.unit }, reason: `${why}; it belongs to ${p.unit}, so restart the service rather than kill one process` };
  return { type: 'kill_process', params: { pid: p.pid, name: p.name, startTime: p.startTime }, reason: why };
}

function noCandidate(ctx: AnalysisContext, family: string, top: ProcessInfo | undefined): DraftAnalysis {
  const evidence = [...chartEvidence(ctx)];
  if (top) evidence.push(`Top process: ${describeProcess(top)}${top.excludedBecause ? ` — not a valid target: ${top.excludedBecause}` : ''}`);
  return {
    summary: `${family} alert ${ctx.alert.name}: no process may be acted on automatically`,
    likelyCause: top ? `Most likely ${describeProcess(top)}` : 'No dominant process found in the sample',
    evidence,
    confidence: 'low',
    proposals: [
      { type: 'log_analysis', params: { minutes: 30 }, reason: 'look for errors around the time the alert fired' },
      { type: 'notify_human', params: { message: `${ctx.alert.name} on ${ctx.alert.serverId}: the top process cannot be remediated automatically; please check` }, reason: 'a person must decide' },
    ],
  };
}

function cpuRules(ctx: AnalysisContext): DraftAnalysis {
  const snap = ctx.processes?.ok ? ctx.processes.data : undefined;
  const top = snap?.topCpu[0];
  const culprit = snap?.candidatesCpu[0];
  // A process below a few percent is not what makes a CPU alert fire.
  if (!culprit || culprit.cpuPercent < 5) return noCandidate(ctx, 'CPU', top);
  const evidence = [
    ...chartEvidence(ctx),
    `Highest CPU over a ${snap.sampleMs} ms sample: ${describeProcess(culprit)}`,
    ...snap.topCpu.filter((p) => p.pid !== culprit.pid).slice(0, 3).map((p) => `Also busy: ${describeProcess(p)}`),
  ];
  return {
    summary: `High CPU from process '${culprit.name}' (PID ${culprit.pid}) at ${culprit.cpuPercent}% CPU`,
    likelyCause: `Process '${culprit.name}' (PID ${culprit.pid}) is using ${culprit.cpuPercent}% CPU`,
    evidence,
    confidence: culprit.cpuPercent >= 50 ? 'high' : 'medium',
    proposals: [processAction(culprit, `'${culprit.name}' (PID ${culprit.pid}) uses ${culprit.cpuPercent}% CPU`)],
  };
}

function memoryRules(ctx: AnalysisContext): DraftAnalysis {
  const snap = ctx.processes?.ok ? ctx.processes.data : undefined;
  const mem = ctx.memory?.ok ? ctx.memory.data : undefined;
  const culprit = snap?.candidatesMemory[0];
  if (!culprit) return noCandidate(ctx, 'Memory', snap?.topMemory[0]);
  const share = mem && mem.totalBytes > 0 ? Math.round((1000 * culprit.rssBytes) / mem.totalBytes) / 10 : undefined;
  const evidence = [
    ...chartEvidence(ctx),
    ...(mem ? [`Memory ${mem.usedPercent}% used (${formatBytes(mem.availableBytes)} available of ${formatBytes(mem.totalBytes)}); swap ${mem.swapUsedPercent}% used of ${formatBytes(mem.swapTotalBytes)}`] : []),
    `Largest resident process: ${describeProcess(culprit)}${share !== undefined ? ` (${share}% of RAM)` : ''}`,
    ...snap.topMemory.filter((p) => p.pid !== culprit.pid).slice(0, 3).map((p) => `Also large: ${describeProcess(p)}`),
  ];
  return {
    summary: `Memory pressure from process '${culprit.name}' (PID ${culprit.pid}) holding ${formatBytes(culprit.rssBytes)}`,
    likelyCause: `Process '${culprit.name}' (PID ${culprit.pid}) holds ${formatBytes(culprit.rssBytes)} resident memory${culprit.unit ? ` in service ${culprit.unit}; a leak in the service is likely` : ''}`,
    evidence,
    confidence: share !== undefined && share >= 20 ? 'high' : 'medium',
    proposals: [processAction(culprit, `'${culprit.name}' (PID ${culprit.pid}) holds ${formatBytes(culprit.rssBytes)} RSS`)],
  };
}

function diskRules(ctx: AnalysisContext): DraftAnalysis {
  const disk = ctx.disk?.ok ? ctx.disk.data : undefined;
  const evidence = [...chartEvidence(ctx)];
  for (const m of disk?.mounts.slice(0, 3) ?? []) {
    evidence.push(`${m.mount} (${m.fsType}): ${m.usedPercent}% used, ${formatBytes(m.availBytes)} free, inodes ${m.inodesUsedPercent}% used`);
  }
  const roots = (disk?.cleanupRoots ?? []).filter((r) => r.exists).sort((a, b) => b.oldBytes - a.oldBytes || b.oldFiles - a.oldFiles);
  for (const r of roots.slice(0, 3)) {
    evidence.push(
      `${r.root}: ${r.filesSeen} files, ${formatBytes(r.totalBytes)}; ${r.oldFiles} files (${formatBytes(r.oldBytes)}) older than ${disk!.olderThanDays} days${r.truncated ? ' (walk truncated)' : ''}` +
        (r.largestDirs[0] ? `; largest: ${r.largestDirs.slice(0, 3).map((d) => `${d.path} ${formatBytes(d.sizeBytes)}`).join(', ')}` : ''),
    );
  }
  const best = roots[0];
  if (!best || best.oldFiles === 0) {
    return {
      summary: `Disk alert ${ctx.alert.name}: nothing old enough to clean under the cleanup roots`,
      likelyCause: 'Space is held outside the cleanup roots or by recent files',
      evidence,
      confidence: 'low',
      proposals: [
        { type: 'notify_human', params: { message: `${ctx.alert.name} on ${ctx.alert.serverId}: no reclaimable old files under ${roots.map((r) => r.root).join(', ') || 'the cleanup roots'}; please check what fills the disk` }, reason: 'nothing safe to delete automatically' },
      ],
    };
  }
  return {
    summary: `Old files under ${best.root}: ${best.oldFiles} files (${formatBytes(best.oldBytes)}) older than ${disk!.olderThanDays} days can be removed`,
    likelyCause: `Temporary files accumulate under ${best.root}${best.largestDirs[0] ? `, mostly in ${best.largestDirs[0].path}` : ''}`,
    evidence,
    confidence: best.oldBytes > 0 ? 'medium' : 'low',
    proposals: [
      { type: 'cleanup_disk', params: { path: best.root, olderThanDays: disk!.olderThanDays }, reason: `reclaims ${formatBytes(best.oldBytes)} in ${best.oldFiles} files older than ${disk!.olderThanDays} days` },
    ],
  };
}

function fallbackRules(ctx: AnalysisContext): DraftAnalysis {
  const logs = ctx.logs?.ok ? ctx.logs.data : undefined;
  const evidence = [...chartEvidence(ctx)];
  if (logs?.lines.length) evidence.push(`${logs.lines.length} recent error lines in ${logs.source}; latest: ${logs.lines[logs.lines.length - 1]!.slice(0, 200)}`);
  return {
    summary: `Alert ${ctx.alert.name} (${ctx.alert.context || 'no context'}) has no automatic remediation rule`,
    likelyCause: logs?.lines.length ? 'See the recent error lines in the logs' : 'Unknown: no rule matches this alert and no recent errors were found',
    evidence,
    confidence: 'low',
    proposals: [
      { type: 'log_analysis', params: { minutes: 30 }, reason: 'collect the errors around the alert' },
      { type: 'notify_human', params: { message: `${ctx.alert.name} on ${ctx.alert.serverId} needs a look: no automatic remediation applies` }, reason: 'no rule for this alert family' },
    ],
  };
}

/** The embedded analyser: rules per alert family over the real machine's context. Pure: context in, draft out. */
export function analyseLocally(ctx: AnalysisContext): DraftAnalysis {
  if (!ctx.local) {
    const draft = fallbackRules(ctx);
    return { ...draft, likelyCause: `The issue is on server ${ctx.alert.serverId}, not on this machine: its processes and disks were not inspected` };
  }
  switch (alertFamily(ctx.alert)) {
    case 'cpu':
      return cpuRules(ctx);
    case 'memory':
      return memoryRules(ctx);
    case 'disk':
      return diskRules(ctx);
    case 'other':
      return fallbackRules(ctx);
  }
}
