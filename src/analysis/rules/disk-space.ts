import type { AnalysisContext, DraftAnalysis } from '../types.js';
import { chartEvidence, formatBytes, notifyHuman } from './evidence.js';
import type { AlarmRule } from './rule.js';

export function mountEvidence(ctx: AnalysisContext): string[] {
  const disk = ctx.disk?.ok ? ctx.disk.data : undefined;
  return (disk?.mounts.slice(0, 3) ?? []).map((m) => `${m.mount} (${m.fsType}): ${m.usedPercent}% used, ${formatBytes(m.availBytes)} free, inodes ${m.inodesUsedPercent}% used`);
}

/** disk_space_usage, out_of_disk_space_time and custom disk alarms: cleanup_disk on the root with the most old bytes. */
export const diskSpaceCleanup: AlarmRule = {
  id: 'disk-space-cleanup',
  needs: [],
  analyse: (ctx): DraftAnalysis => {
    const disk = ctx.disk?.ok ? ctx.disk.data : undefined;
    const evidence = [...chartEvidence(ctx), ...mountEvidence(ctx)];
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
        proposals: [notifyHuman(ctx, `no reclaimable old files under ${roots.map((r) => r.root).join(', ') || 'the cleanup roots'}; please check what fills the disk`, 'nothing safe to delete automatically')],
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
  },
};
