import type { DraftAnalysis } from '../types.js';
import { chartEvidence, describeProcess, formatBytes, memoryEvidence, notifyHuman, notifyOnly, processAction } from './evidence.js';
import { memoryLargestProcess } from './memory.js';
import type { AlarmRule } from './rule.js';

/** used_swap, 30min_ram_swapped_out: the processes with the most swap (VmSwap); thrashing is theirs. */
export const swapLargestSwapper: AlarmRule = {
  id: 'swap-largest-swapper',
  needs: ['swap'],
  analyse: (ctx): DraftAnalysis => {
    const snap = ctx.processes?.ok ? ctx.processes.data : undefined;
    const mem = ctx.memory?.ok ? ctx.memory.data : undefined;
    // Swap full while half the RAM is free: pages swapped out long ago and never needed since. No pressure, no kill.
    if (ctx.alert.name === 'used_swap' && mem && mem.totalBytes > 0 && mem.availableBytes > mem.totalBytes / 2) {
      return notifyOnly(
        ctx,
        'Swap is full of old pages while RAM is free',
        'Nothing is thrashing: those pages were swapped out long ago and are not needed. `swapoff -a && swapon -a` brings them back if you want the alarm to clear',
        [...memoryEvidence(ctx), ...(snap?.topSwap.slice(0, 3).map((p) => `In swap: ${describeProcess(p)}, ${formatBytes(p.swapBytes)} swapped`) ?? [])],
      );
    }
    const top = snap?.topSwap[0];
    const culprit = snap?.candidatesSwap[0];
    if (!snap || !top) {
      // No per-process swap known (old kernel, no permission): the largest resident process is the next best guess.
      const draft = memoryLargestProcess.analyse(ctx);
      return { ...draft, summary: `Swap use: ${draft.summary}`, confidence: 'low' };
    }
    const evidence = [
      ...chartEvidence(ctx),
      ...memoryEvidence(ctx),
      ...snap.topSwap.slice(0, 4).map((p) => `In swap: ${describeProcess(p)}, ${formatBytes(p.swapBytes)} swapped${p.candidate ? '' : ` — not a valid target: ${p.excludedBecause ?? 'excluded'}`}`),
    ];
    // A candidate with a small part of the swap is not the thrashing: the protected holder is.
    if (!culprit || culprit.swapBytes < top.swapBytes / 4) {
      return {
        summary: `Swap held by '${top.name}' (PID ${top.pid}), which may not be acted on`,
        likelyCause: `'${top.name}' (PID ${top.pid}) has ${formatBytes(top.swapBytes)} in swap`,
        evidence,
        confidence: 'low',
        proposals: [notifyHuman(ctx, `'${top.name}' (PID ${top.pid}) holds ${formatBytes(top.swapBytes)} of swap and is protected; please check`, 'a person must decide')],
      };
    }
    return {
      summary: `Swap pressure from process '${culprit.name}' (PID ${culprit.pid}) with ${formatBytes(culprit.swapBytes)} swapped out`,
      likelyCause: `Process '${culprit.name}' (PID ${culprit.pid})${culprit.unit ? ` of service ${culprit.unit}` : ''} has ${formatBytes(culprit.swapBytes)} in swap and ${formatBytes(culprit.rssBytes)} resident: it outgrew RAM`,
      evidence,
      confidence: culprit.pid === top.pid ? 'medium' : 'low',
      proposals: [processAction(culprit, `'${culprit.name}' (PID ${culprit.pid}) has ${formatBytes(culprit.swapBytes)} in swap`)],
    };
  },
};
