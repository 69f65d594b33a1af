import type { DraftAnalysis } from '../types.js';
import { chartEvidence, describeProcess, notifyHuman, processAction } from './evidence.js';
import type { AlarmRule } from './rule.js';

/**
 * active_processes: the PID space fills up. A parent with a large share of all processes as children is forking
 * away (a fork bomb, a leak of workers); stopping it frees the PIDs. Otherwise a person looks.
 */
export const pidsForkingParent: AlarmRule = {
  id: 'pids-forking-parent',
  needs: [],
  analyse: (ctx): DraftAnalysis => {
    const snap = ctx.processes?.ok ? ctx.processes.data : undefined;
    const parents = snap?.topParents ?? [];
    const evidence = [
      ...chartEvidence(ctx),
      ...(snap ? [`${snap.total} processes running`] : []),
      ...parents.slice(0, 3).map((p) => `Parent of ${p.children} processes: ${describeProcess(p.process)}${p.process.candidate ? '' : ` — not a valid target: ${p.process.excludedBecause ?? 'excluded'}`}`),
    ];
    const top = parents[0];
    if (!snap || !top || top.children < Math.max(20, snap.total / 4)) {
      return { summary: 'The PID space is filling up with no single parent to blame', likelyCause: 'Many processes or threads from different parents', evidence, confidence: 'low', proposals: [notifyHuman(ctx, 'the process count is near pid_max; check `ps -eLf | wc -l` and kernel.pid_max', 'no single process to act on')] };
    }
    if (!top.process.candidate) {
      return { summary: `'${top.process.name}' (PID ${top.process.pid}) has ${top.children} child processes and may not be acted on`, likelyCause: `'${top.process.name}' forks too many children`, evidence, confidence: 'medium', proposals: [notifyHuman(ctx, `'${top.process.name}' (PID ${top.process.pid}) has ${top.children} children and is protected`, 'a person must decide')] };
    }
    return {
      summary: `'${top.process.name}' (PID ${top.process.pid}) has ${top.children} child processes`,
      likelyCause: `'${top.process.name}' forks without bound (${top.children} of ${snap.total} processes)`,
      evidence,
      confidence: 'medium',
      proposals: [processAction(top.process, `'${top.process.name}' (PID ${top.process.pid}) is the parent of ${top.children} processes`)],
    };
  },
};
