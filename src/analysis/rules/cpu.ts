import type { AnalysisContext, DraftAnalysis } from '../types.js';
import { chartEvidence, describeProcess, noCandidate, notifyOnly, processAction } from './evidence.js';
import type { AlarmRule } from './rule.js';

/** A process below a few percent is not what makes a CPU alert fire. */
const BUSY_PERCENT = 5;

function busiestProcess(ctx: AnalysisContext, family: string): DraftAnalysis {
  const snap = ctx.processes?.ok ? ctx.processes.data : undefined;
  const top = snap?.topCpu[0];
  const culprit = snap?.candidatesCpu[0];
  if (!culprit || culprit.cpuPercent < BUSY_PERCENT) return noCandidate(ctx, family, top);
  const evidence = [
    ...chartEvidence(ctx),
    `Highest CPU over a ${snap.sampleMs} ms sample: ${describeProcess(culprit)}`,
    ...snap.topCpu.filter((p) => p.pid !== culprit.pid).slice(0, 3).map((p) => `Also busy: ${describeProcess(p)}${p.candidate ? '' : ` — not a valid target: ${p.excludedBecause ?? 'excluded'}`}`),
  ];
  // A protected process above the culprit is the real load: acting on the second one would not help much.
  const protectedAbove = top && !top.candidate && top.cpuPercent > culprit.cpuPercent * 2;
  return {
    summary: `High CPU from process '${culprit.name}' (PID ${culprit.pid}) at ${culprit.cpuPercent}% CPU`,
    likelyCause: `Process '${culprit.name}' (PID ${culprit.pid})${culprit.unit ? ` of service ${culprit.unit}` : ''} is using ${culprit.cpuPercent}% CPU${protectedAbove ? `; '${top.name}' (PID ${top.pid}, ${top.cpuPercent}%) uses more but may not be touched` : ''}`,
    evidence,
    confidence: protectedAbove ? 'low' : culprit.cpuPercent >= 50 ? 'high' : 'medium',
    proposals: [processAction(culprit, `'${culprit.name}' (PID ${culprit.pid}) uses ${culprit.cpuPercent}% CPU`)],
  };
}

/** 10min_cpu_usage and custom CPU alarms: the busiest process that may be acted on. */
export const cpuBusiestProcess: AlarmRule = { id: 'cpu-busiest-process', needs: [], analyse: (ctx) => busiestProcess(ctx, 'CPU') };

/** load_average_*: a runnable process keeps the load up; none busy means tasks wait on I/O (D state), not on CPU. */
export const loadBusiestProcess: AlarmRule = {
  id: 'load-busiest-process',
  needs: [],
  analyse: (ctx) => {
    const snap = ctx.processes?.ok ? ctx.processes.data : undefined;
    if (snap && (snap.candidatesCpu[0]?.cpuPercent ?? 0) >= BUSY_PERCENT) return busiestProcess(ctx, 'Load');
    return notifyOnly(ctx, 'High load average with no busy process', 'Tasks are most likely waiting on disk or network I/O (state D): check iowait and the disks, not the CPU', snap?.topCpu[0] ? [`Top process: ${describeProcess(snap.topCpu[0])}`] : []);
  },
};

/** 20min_steal_cpu: the hypervisor takes the CPU; nothing on this machine frees it. */
export const cpuSteal: AlarmRule = {
  id: 'cpu-steal',
  needs: [],
  analyse: (ctx) => notifyOnly(ctx, 'The hypervisor is stealing CPU time from this VM', 'Ask the provider or move the VM to a less loaded host; no process here causes it'),
};
