import type { DraftAnalysis } from '../types.js';
import { chartEvidence, describeProcess, formatBytes, memoryEvidence, notifyHuman, processAction } from './evidence.js';
import type { AlarmRule } from './rule.js';

/**
 * oom_kill: the kill already happened. Who was killed comes from the kernel log; what to do depends on who grows
 * now: the largest resident process, if it is the victim's successor (same name) or simply the biggest, is next.
 */
export const oomKill: AlarmRule = {
  id: 'oom-kill',
  needs: ['kernelLog'],
  analyse: (ctx): DraftAnalysis => {
    const kernel = ctx.kernel?.ok ? ctx.kernel.data : undefined;
    const victims = kernel?.oomKills ?? [];
    const snap = ctx.processes?.ok ? ctx.processes.data : undefined;
    const evidence = [
      ...chartEvidence(ctx),
      ...victims.slice(-3).map((v) => `Kernel (${kernel!.source}): killed '${v.name}' PID ${v.pid}${v.anonRssBytes !== null ? ` holding ${formatBytes(v.anonRssBytes)}` : ''}`),
      ...(ctx.kernel && !ctx.kernel.ok ? [`Kernel log not readable: ${ctx.kernel.error}`] : []),
      ...memoryEvidence(ctx),
    ];
    const victim = victims[victims.length - 1];
    const victimNames = new Set(victims.map((v) => v.name));
    // The victim restarted (a service) or a sibling grows: the same name among the largest processes now.
    const successor = snap?.candidatesMemory.find((p) => victimNames.has(p.name));
    const grower = successor ?? snap?.candidatesMemory[0];
    if (grower) evidence.push(`Largest now: ${describeProcess(grower)}${successor ? ' (same name as the killed process)' : ''}`);
    const killedText = victim ? `'${victim.name}' (PID ${victim.pid}) was killed by the OOM killer` : 'The OOM killer killed a process (the kernel log does not say which)';
    const proposals: DraftAnalysis['proposals'] = [];
    if (successor) proposals.push(processAction(successor, `'${successor.name}' (PID ${successor.pid}) grows again after the OOM kill: ${formatBytes(successor.rssBytes)} RSS`));
    proposals.push(notifyHuman(ctx, `${killedText}${grower ? `; largest now: '${grower.name}' (PID ${grower.pid}, ${formatBytes(grower.rssBytes)})` : ''}. Check its memory limits`, 'an OOM kill already lost work; a person should know'));
    return {
      summary: killedText,
      likelyCause: successor
        ? `'${successor.name}' runs out of memory: it was killed and grows again (PID ${successor.pid}, ${formatBytes(successor.rssBytes)})`
        : victim
          ? `'${victim.name}' used more memory than the machine has${grower ? `; now the largest is '${grower.name}' (PID ${grower.pid})` : ''}`
          : 'A process used more memory than the machine has',
      evidence,
      confidence: victim ? 'medium' : 'low',
      proposals,
    };
  },
};
