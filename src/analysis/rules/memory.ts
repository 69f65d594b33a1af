import type { DraftAnalysis } from '../types.js';
import { chartEvidence, describeProcess, formatBytes, memoryEvidence, noCandidate, notifyOnly, processAction } from './evidence.js';
import type { AlarmRule } from './rule.js';

/** ram_in_use, ram_available and custom memory alarms: the largest resident process that may be acted on. */
export const memoryLargestProcess: AlarmRule = {
  id: 'memory-largest-process',
  needs: [],
  analyse: (ctx): DraftAnalysis => {
    const snap = ctx.processes?.ok ? ctx.processes.data : undefined;
    const mem = ctx.memory?.ok ? ctx.memory.data : undefined;
    const culprit = snap?.candidatesMemory[0];
    const top = snap?.topMemory[0];
    if (!culprit) return noCandidate(ctx, 'Memory', top);
    // A protected process holding far more than the best candidate is the pressure; a small kill would not relieve it.
    if (top && !top.candidate && top.rssBytes > 2 * culprit.rssBytes && mem && culprit.rssBytes < mem.totalBytes / 10) return noCandidate(ctx, 'Memory', top);
    const share = mem && mem.totalBytes > 0 ? Math.round((1000 * culprit.rssBytes) / mem.totalBytes) / 10 : undefined;
    const evidence = [
      ...chartEvidence(ctx),
      ...memoryEvidence(ctx),
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
  },
};

/** 1hour_ecc_memory_*, 1hour_memory_hw_corrupted: failing RAM; no software action repairs it. */
export const memoryHardware: AlarmRule = {
  id: 'memory-hardware',
  needs: [],
  analyse: (ctx) => notifyOnly(ctx, 'Memory hardware errors', 'Plan to replace the DIMM: check `edac-util -v` / the BMC event log; uncorrectable errors can crash processes at any time'),
};
