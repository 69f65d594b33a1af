import { describeProcess, notifyOnly } from './evidence.js';
import { mountEvidence } from './disk-space.js';
import type { AlarmRule } from './rule.js';

/** 10min_disk_utilization, 10min_disk_backlog, 10min_cpu_iowait: a saturated disk. No catalog action lowers I/O safely. */
export const diskIoSaturated: AlarmRule = {
  id: 'disk-io-saturated',
  needs: [],
  analyse: (ctx) => {
    const snap = ctx.processes?.ok ? ctx.processes.data : undefined;
    return notifyOnly(
      ctx,
      'A disk is saturated with I/O',
      'Find the writer with `iotop -o` or `pidstat -d 1`; killing a process blindly risks the data it writes',
      [...mountEvidence(ctx), ...(snap?.topCpu.slice(0, 2).map((p) => `Busy now: ${describeProcess(p)}`) ?? [])],
    );
  },
};
