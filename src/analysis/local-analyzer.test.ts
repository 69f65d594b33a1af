import { describe, expect, it } from 'vitest';
import { parseStat } from '../model/proc-stat.js';
import { unitFromCgroup } from './gatherers/processes.js';
import { parseMeminfo } from './gatherers/memory.js';
import { alertFamily, analyseLocally } from './local-analyzer.js';
import type { AnalysisContext, ProcessInfo } from './types.js';

function proc(over: Partial<ProcessInfo>): ProcessInfo {
  return { pid: 4242, ppid: 1, name: 'burner', cmdline: 'node burner.js', user: 'app', uid: 1000, unit: null, cpuPercent: 97, rssBytes: 50 << 20, swapBytes: 0, startTime: 12345, candidate: true, ...over };
}

function ctx(name: string, context: string, over: Partial<AnalysisContext> = {}): AnalysisContext {
  return {
    alert: { issueId: 'issue-1', serverId: 'web-1', title: name, name, context, chart: context, severity: 'warning', status: 'open', description: null, alertCount: 1, firstSeenAt: 0, lastSeenAt: 0 },
    local: true,
    ...over,
  };
}

const procs = (list: ProcessInfo[]): AnalysisContext['processes'] => ({
  ok: true,
  ms: 400,
  data: { sampleMs: 400, total: list.length, topCpu: list, topMemory: list, candidatesCpu: list.filter((p) => p.candidate), candidatesMemory: list.filter((p) => p.candidate), topSwap: [], candidatesSwap: [], topParents: [] },
});

describe('alertFamily', () => {
  it.each([
    ['10min_cpu_usage', 'system.cpu', 'cpu'],
    ['load_average_15', 'system.load', 'cpu'],
    ['ram_in_use', 'system.ram', 'memory'],
    ['used_swap', 'system.swap', 'memory'],
    ['oom_kill', 'mem.oom_kill', 'memory'],
    ['disk_space_usage', 'disk.space', 'disk'],
    ['disk_inode_usage', 'disk.inodes', 'disk'],
    ['out_of_disk_space_time', 'disk.space', 'disk'],
    ['disk_util', 'disk.util', 'other'],
    ['web_log_5xx', 'web_log.response_codes', 'other'],
  ])('%s (%s) is a %s alert', (name, context, family) => {
    expect(alertFamily({ name, context, chart: context })).toBe(family);
  });
});

describe('analyseLocally', () => {
  it('names the top CPU process with its PID and proposes kill_process', () => {
    const draft = analyseLocally(ctx('10min_cpu_usage', 'system.cpu', { processes: procs([proc({})]) }));
    expect(draft.summary).toContain("'burner' (PID 4242)");
    expect(draft.proposals).toEqual([{ type: 'kill_process', params: { pid: 4242, name: 'burner', startTime: 12345 }, reason: expect.any(String) }]);
  });

  it('restarts the service instead when the memory hog belongs to a systemd unit', () => {
    const draft = analyseLocally(ctx('ram_in_use', 'system.ram', { processes: procs([proc({ unit: 'api-server.service', rssBytes: 3 << 30 })]) }));
    expect(draft.proposals[0]).toMatchObject({ type: 'restart_service', params: { service: 'api-server.service' } });
    expect(draft.likelyCause).toContain('api-server.service');
  });

  it('falls back to log_analysis and notify_human when the top process may not be touched', () => {
    const draft = analyseLocally(ctx('10min_cpu_usage', 'system.cpu', { processes: procs([proc({ candidate: false, excludedBecause: 'protected name' })]) }));
    expect(draft.proposals.map((p) => p.type)).toEqual(['log_analysis', 'notify_human']);
    expect(draft.evidence.join('\n')).toContain('protected name');
  });

  it('cleans the cleanup root holding the most old files', () => {
    const root = (r: string, oldBytes: number) => ({ root: r, exists: true, filesSeen: 10, totalBytes: oldBytes * 2, oldFiles: oldBytes ? 5 : 0, oldBytes, largestDirs: [], busiestDirs: [], oldestFiles: [], largestFiles: [], truncated: false });
    const draft = analyseLocally(
      ctx('disk_space_usage', 'disk.space', {
        disk: { ok: true, ms: 1, data: { mounts: [], cleanupRoots: [root('/tmp', 10), root('/var/tmp', 5_000_000)], olderThanDays: 7 } },
      }),
    );
    expect(draft.proposals).toEqual([{ type: 'cleanup_disk', params: { path: '/var/tmp', olderThanDays: 7 }, reason: expect.stringContaining('5 files') }]);
  });

  it('does not inspect this machine for an issue of another server', () => {
    const draft = analyseLocally(ctx('10min_cpu_usage', 'system.cpu', { local: false }));
    expect(draft.likelyCause).toContain('not on this machine');
    expect(draft.proposals.every((p) => p.type === 'log_analysis' || p.type === 'notify_human')).toBe(true);
  });
});

describe('/proc parsing', () => {
  it('reads a stat line whose name holds spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[4 - 3] = '77'; // ppid
    fields[14 - 3] = '300';
    fields[15 - 3] = '20';
    fields[22 - 3] = '999';
    fields[24 - 3] = '10';
    fields[9 - 3] = '0';
    const stat = parseStat(`123 (my (evil) proc) ${fields.join(' ')}`);
    expect(stat).toMatchObject({ pid: 123, comm: 'my (evil) proc', ppid: 77, ticks: 320, startTime: 999, rssPages: 10, kernelThread: false });
  });

  it.each([
    ['0::/system.slice/nginx.service\n', 'nginx.service'],
    ['1:name=systemd:/system.slice/api-server.service\n0::/\n', 'api-server.service'],
    ['0::/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope\n', null],
    ['0::/\n', null],
  ])('finds the unit in %j', (text, unit) => {
    expect(unitFromCgroup(text)).toBe(unit);
  });

  it('computes memory and swap use from /proc/meminfo', () => {
    const m = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 250 kB\nCached: 50 kB\nSwapTotal: 200 kB\nSwapFree: 50 kB\n');
    expect(m).toMatchObject({ totalBytes: 1_024_000, usedPercent: 75, swapUsedPercent: 75 });
  });
});
