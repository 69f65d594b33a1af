import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LIVE_MACHINE } from '../src/analysis/machine-view.js';
import { Redactor } from '../src/analysis/redact.js';
import { unitOfAlert } from '../src/analysis/rules/systemd-units.js';
import { defaultConfig } from '../src/config/load.js';
import { NetdataLogEntry } from '../src/sources/netdata-client.js';
import { EvalCase, type RecordedMachine } from './case.js';

/**
 * Records this machine as an eval case: `npx tsx eval/record.ts --alert entry.json --id my-case [--out file]`, where
 * entry.json is one /api/v1/alarm_log entry (curl -s localhost:19999/api/v1/alarm_log | jq '.[0]'). The machine is
 * read through LIVE_MACHINE, the view the daemon uses; command lines and log lines are redacted, because a case is
 * meant to be committed. The expectation is left for a person to write (culprit, action, forbidden, attention).
 */
const { values } = parseArgs({ options: { alert: { type: 'string' }, id: { type: 'string' }, out: { type: 'string' }, roots: { type: 'string', default: '/tmp,/var/tmp' } } });
if (!values.alert || !values.id || !/^[a-z0-9-]+$/.test(values.id)) {
  console.error('usage: npx tsx eval/record.ts --alert entry.json --id case-id [--out eval/cases/case-id.json] [--roots /tmp,/var/tmp]');
  process.exit(2);
}
const alert = NetdataLogEntry.parse(JSON.parse(readFileSync(values.alert, 'utf8')));
const roots = values.roots.split(',').filter(Boolean);
const kp = defaultConfig().actions.killProcess;
const filter = { protectedNames: kp.protectedNames, allowedNames: [], allowedUsers: [], allowedCgroups: [], allowedPids: [] };
const redactor = new Redactor();
const clean = (text: string) => redactor.redact(text).text;

const [procs, disk, memory, logs, kernel] = await Promise.all([
  LIVE_MACHINE.processes({ sampleMs: 1_000, top: 15, filter, bySwap: true }),
  LIVE_MACHINE.disk({ roots, olderThanDays: 7, maxEntries: 50_000, timeoutMs: 10_000 }),
  LIVE_MACHINE.memory(),
  LIVE_MACHINE.logs({ minutes: 30, maxLines: 20, logFiles: ['/var/log/syslog', '/var/log/messages'], timeoutMs: 5_000 }),
  LIVE_MACHINE.kernelLog({ minutes: 60, maxLines: 20, timeoutMs: 5_000 }).catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) })),
]);
const seen = new Map<number, RecordedMachine['processes'][number]>();
for (const p of [...procs.topCpu, ...procs.topMemory, ...procs.topSwap, ...procs.topParents.map((t) => t.process)]) {
  seen.set(p.pid, {
    pid: p.pid, ppid: p.ppid, name: p.name, cmdline: clean(p.cmdline), user: p.user, uid: p.uid,
    cgroup: p.unit ? `0::/system.slice/${p.unit}\n` : '0::/user.slice\n', cpuPercent: p.cpuPercent,
    rssMiB: Math.round(p.rssBytes / 1_048_576), swapMiB: Math.round(p.swapBytes / 1_048_576), startTime: p.startTime,
    ours: p.excludedBecause?.includes('OpsAgent') ?? false,
  });
}
const unitName = unitOfAlert({ name: alert.name, context: alert.context ?? '', chart: alert.chart, issueId: '', serverId: '', title: '', severity: '', status: '', description: null, alertCount: 1, firstSeenAt: 0, lastSeenAt: 0 });
const units: RecordedMachine['units'] = {};
if (unitName) {
  const u = await LIVE_MACHINE.unit(unitName, { timeoutMs: 5_000, maxLines: 10 }).catch(() => undefined);
  if (u) units[unitName] = { LoadState: u.loadState, ActiveState: u.activeState, SubState: u.subState, Result: u.result, NRestarts: u.nRestarts ?? 0, ExecMainStatus: u.execMainStatus ?? 0, journal: u.lines.map(clean) };
}
const MiB = 1_048_576;
const draft = {
  id: values.id,
  title: `${alert.name} recorded on this machine`,
  difficulty: 'medium',
  alert,
  config: { cleanupRoots: roots },
  machine: {
    processes: [...seen.values()],
    totalProcesses: procs.total,
    memory: { totalMiB: Math.round(memory.totalBytes / MiB), availableMiB: Math.round(memory.availableBytes / MiB), swapTotalMiB: Math.round(memory.swapTotalBytes / MiB), swapFreeMiB: Math.round(memory.swapFreeBytes / MiB), cachedMiB: Math.round(memory.cachedBytes / MiB) },
    mounts: disk.mounts.slice(0, 5).map((m) => ({ mount: m.mount, fsType: m.fsType, sizeGiB: Math.round((m.sizeBytes / 2 ** 30) * 10) / 10, usedPercent: m.usedPercent, inodesUsedPercent: m.inodesUsedPercent })),
    cleanupRoots: disk.cleanupRoots.filter((r) => r.exists).map((r) => ({
      root: r.root,
      dirs: r.busiestDirs.map((d) => ({ path: d.path, files: d.files, oldFiles: d.oldFiles, sizeMiB: Math.round((r.largestDirs.find((l) => l.path === d.path)?.sizeBytes ?? 0) / MiB), oldMiB: 0 })),
    })),
    logs: { source: logs.source, lines: logs.lines.map(clean) },
    kernelLog: 'error' in kernel ? kernel : { source: kernel.source, lines: kernel.lines.map(clean) },
    units,
  },
  expect: { culprit: null, action: null, forbidden: [], requiresHumanAttention: true },
};
const checked = EvalCase.parse(draft);
const out = values.out ?? `eval/cases/${values.id}.json`;
writeFileSync(out, `${JSON.stringify(checked, null, 2)}\n`);
console.log(`wrote ${out}: now write its "expect" (what an experienced operator would want), then npm run eval`);
