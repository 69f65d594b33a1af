import { cpuBusiestProcess } from './rules/cpu.js';
import { diskSpaceCleanup } from './rules/disk-space.js';
import { inodeBusiestDirectory } from './rules/inodes.js';
import { memoryLargestProcess } from './rules/memory.js';
import type { AlarmRule } from './rules/rule.js';
import { fallback, STOCK_ALARMS } from './rules/stock-alarms.js';
import { swapLargestSwapper } from './rules/swap.js';
import { systemdOtherUnitFailed, systemdServiceFailed } from './rules/systemd-units.js';
import type { AnalysisContext, DraftAnalysis } from './types.js';

export { formatBytes } from './rules/evidence.js';

export type AlertFamily = 'disk' | 'memory' | 'cpu' | 'other';

/** For alarms that are not stock ones: the family from words in the name, context and chart (buggy_app_cpu_usage…). */
export function alertFamily(alert: Pick<AnalysisContext['alert'], 'name' | 'context' | 'chart'>): AlertFamily {
  const text = `${alert.name} ${alert.context} ${alert.chart}`.toLowerCase();
  if (/disk[._]space|disk[._]inode|inode|out_of_disk|disk_full|filesystem|fs[._]space|no_space|\bdf\b/.test(text)) return 'disk';
  if (/\bram\b|ram[._]|mem(ory)?|swap|oom/.test(text)) return 'memory';
  if (/cpu|load|softirq|steal|runq/.test(text)) return 'cpu';
  return 'other';
}

/** A custom alarm on a stock chart context behaves like the stock alarm on it (the first in the table). */
const BY_CONTEXT = new Map<string, AlarmRule>();
for (const stock of Object.values(STOCK_ALARMS)) if (stock.rule.id !== 'helper-alarm' && !BY_CONTEXT.has(stock.on)) BY_CONTEXT.set(stock.on, stock.rule);

/**
 * Which rule answers an alert: its stock alarm name first, then a stock chart context, then the systemd units
 * collector's charts, then words in the name; else the fallback.
 */
export function ruleFor(alert: Pick<AnalysisContext['alert'], 'name' | 'context' | 'chart'>): AlarmRule {
  const stock = Object.hasOwn(STOCK_ALARMS, alert.name) ? STOCK_ALARMS[alert.name] : undefined;
  if (stock) return stock.rule;
  const byContext = BY_CONTEXT.get(alert.context);
  if (byContext) return byContext;
  if (/^systemd\.service_units?_state$/.test(alert.context)) return systemdServiceFailed;
  if (/^systemd\.[a-z]+_unit_state$/.test(alert.context)) return systemdOtherUnitFailed;
  const text = `${alert.name} ${alert.context}`.toLowerCase();
  if (/swap/.test(text)) return swapLargestSwapper;
  if (/inode/.test(text)) return inodeBusiestDirectory;
  switch (alertFamily(alert)) {
    case 'cpu':
      return cpuBusiestProcess;
    case 'memory':
      return memoryLargestProcess;
    case 'disk':
      return diskSpaceCleanup;
    case 'other':
      return fallback;
  }
}

/** The embedded analyser: the alert's rule over the machine's context. Pure: context in, draft out. */
export function analyseLocally(ctx: AnalysisContext): DraftAnalysis {
  if (!ctx.local) {
    const draft = fallback.analyse(ctx);
    return {
      ...draft,
      summary: `Alert ${ctx.alert.name} on server ${ctx.alert.serverId}: that machine's agent must analyse it (rule ${ruleFor(ctx.alert).id})`,
      likelyCause: `The issue is on server ${ctx.alert.serverId}, not on this machine: its processes and disks were not inspected`,
    };
  }
  return ruleFor(ctx.alert).analyse(ctx);
}
