import type { DraftAnalysis } from '../types.js';
import { chartEvidence, notifyHuman } from './evidence.js';
import { mountEvidence } from './disk-space.js';
import type { AlarmRule } from './rule.js';

/**
 * disk_inode_usage: inodes run out from many small files, not from bytes. The directory with the most files under
 * the cleanup roots is the suspect; its old files are what cleanup_disk may remove there.
 */
export const inodeBusiestDirectory: AlarmRule = {
  id: 'inode-busiest-directory',
  needs: [],
  analyse: (ctx): DraftAnalysis => {
    const disk = ctx.disk?.ok ? ctx.disk.data : undefined;
    const dirs = (disk?.cleanupRoots ?? []).filter((r) => r.exists).flatMap((r) => r.busiestDirs.map((d) => ({ ...d, root: r.root, truncated: r.truncated })));
    dirs.sort((a, b) => b.files - a.files);
    const evidence = [
      ...chartEvidence(ctx),
      ...mountEvidence(ctx),
      ...dirs.slice(0, 3).map((d) => `${d.path}: ${d.files} files, ${d.oldFiles} older than ${disk!.olderThanDays} days${d.truncated ? ' (walk truncated: at least)' : ''}`),
    ];
    const top = dirs[0];
    if (!top) {
      return {
        summary: `Inode alert ${ctx.alert.name}: no directory with many files under the cleanup roots`,
        likelyCause: 'The files that use the inodes are outside the cleanup roots',
        evidence,
        confidence: 'low',
        proposals: [notifyHuman(ctx, 'inodes run out outside the cleanup roots; find the directory with `du --inodes -x / | sort -n | tail`', 'nothing safe to delete automatically')],
      };
    }
    if (top.oldFiles === 0) {
      return {
        summary: `Inodes used by ${top.files} fresh files in ${top.path}`,
        likelyCause: `${top.path} fills with many new small files (none older than ${disk!.olderThanDays} days): something writes them now`,
        evidence,
        confidence: 'medium',
        proposals: [notifyHuman(ctx, `${top.path} holds ${top.files} files, all recent; find what writes them`, 'recent files are not deleted automatically')],
      };
    }
    return {
      summary: `Inodes used by ${top.files} files in ${top.path}, ${top.oldFiles} of them older than ${disk!.olderThanDays} days`,
      likelyCause: `Small files accumulate in ${top.path}`,
      evidence,
      confidence: 'medium',
      proposals: [{ type: 'cleanup_disk', params: { path: top.path, olderThanDays: disk!.olderThanDays }, reason: `frees ${top.oldFiles} inodes of old files in the directory with the most files` }],
    };
  },
};
