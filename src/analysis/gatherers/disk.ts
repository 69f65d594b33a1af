import { lstat, readdir, readFile, realpath, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { CleanupRootScan, DiskSnapshot, FileEntry, MountUsage } from '../types.js';

/** Filesystems that hold no user data: their "usage" means nothing for a disk alert. */
const PSEUDO_FS = new Set([
  'proc', 'sysfs', 'cgroup', 'cgroup2', 'devpts', 'mqueue', 'debugfs', 'tracefs', 'securityfs', 'pstore', 'bpf',
  'configfs', 'fusectl', 'hugetlbfs', 'autofs', 'binfmt_misc', 'rpc_pipefs', 'nsfs', 'devtmpfs', 'squashfs', 'efivarfs',
]);

/** /proc/mounts escapes spaces and friends as octal (\040). */
function unescapeMount(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export async function gatherMounts(maxMounts = 40): Promise<MountUsage[]> {
  let text: string;
  try {
    text = await readFile('/proc/mounts', 'utf8');
  } catch {
    return [];
  }
  const seen = new Set<string>();
  const out: MountUsage[] = [];
  for (const line of text.split('\n')) {
    const [, rawMount, fsType] = line.split(' ');
    if (!rawMount || !fsType || PSEUDO_FS.has(fsType)) continue;
    const mount = unescapeMount(rawMount);
    if (seen.has(mount) || mount.startsWith('/proc') || mount.startsWith('/sys')) continue;
    seen.add(mount);
    try {
      const s = await statfs(mount);
      const size = s.blocks * s.bsize;
      if (size === 0) continue;
      const avail = s.bavail * s.bsize;
      const used = size - s.bfree * s.bsize;
      out.push({
        mount,
        fsType,
        sizeBytes: size,
        usedBytes: used,
        availBytes: avail,
        usedPercent: Math.round((1000 * used) / Math.max(1, used + avail)) / 10,
        inodes: s.files,
        inodesUsedPercent: s.files > 0 ? Math.round((1000 * (s.files - s.ffree)) / s.files) / 10 : 0,
      });
    } catch {
      // an unreachable network mount must not stall the analysis; skip it
    }
    if (out.length >= maxMounts) break;
  }
  return out.sort((a, b) => b.usedPercent - a.usedPercent);
}

function topN<T>(list: T[], item: T, n: number, better: (a: T, b: T) => boolean): void {
  if (list.length < n) {
    list.push(item);
  } else if (better(item, list[list.length - 1]!)) {
    list[list.length - 1] = item;
  } else {
    return;
  }
  list.sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0));
}

/**
 * Walks one cleanup root without following symlinks, within maxEntries and a deadline: its size, what
 * cleanup_disk would reclaim (files older than olderThanDays), the largest top-level directories, the oldest files.
 */
export async function scanCleanupRoot(root: string, options: { olderThanDays: number; maxEntries: number; deadline: number; now?: number }): Promise<CleanupRootScan> {
  const scan: CleanupRootScan = {
    root, exists: false, filesSeen: 0, totalBytes: 0, oldFiles: 0, oldBytes: 0, largestDirs: [], busiestDirs: [], oldestFiles: [], largestFiles: [], truncated: false,
  };
  let real: string;
  try {
    real = await realpath(root);
    if (!(await lstat(real)).isDirectory()) return scan;
  } catch {
    return scan;
  }
  scan.root = real;
  scan.exists = true;
  const cutoff = (options.now ?? Date.now()) - options.olderThanDays * 86_400_000;
  const dirSizes = new Map<string, number>();
  const dirFiles = new Map<string, { files: number; oldFiles: number }>();
  let entries = 0;
  // Depth-first with an explicit stack: bounded, no recursion limits.
  const stack: { dir: string; top: string | null }[] = [{ dir: real, top: null }];
  while (stack.length > 0) {
    if (entries >= options.maxEntries || Date.now() > options.deadline) {
      scan.truncated = true;
      break;
    }
    const { dir, top } = stack.pop()!;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (++entries > options.maxEntries) break;
      const path = join(dir, name);
      let st;
      try {
        st = await lstat(path);
      } catch {
        continue;
      }
      const owner = top ?? path;
      if (st.isDirectory()) {
        stack.push({ dir: path, top: owner });
        if (!top) dirSizes.set(path, dirSizes.get(path) ?? 0);
      } else if (st.isFile()) {
        scan.filesSeen++;
        scan.totalBytes += st.size;
        if (top) dirSizes.set(top, (dirSizes.get(top) ?? 0) + st.size);
        const counts = top ? (dirFiles.get(top) ?? { files: 0, oldFiles: 0 }) : undefined;
        if (top && counts) dirFiles.set(top, counts);
        if (counts) counts.files++;
        const entry: FileEntry = { path, sizeBytes: st.size, mtimeMs: Math.round(st.mtimeMs) };
        if (st.mtimeMs < cutoff) {
          scan.oldFiles++;
          scan.oldBytes += st.size;
          if (counts) counts.oldFiles++;
        }
        topN(scan.oldestFiles, entry, 5, (a, b) => a.mtimeMs < b.mtimeMs);
        topN(scan.largestFiles, entry, 5, (a, b) => a.sizeBytes > b.sizeBytes);
      }
    }
  }
  scan.largestDirs = [...dirSizes.entries()]
    .map(([path, sizeBytes]) => ({ path, sizeBytes }))
    .sort((a, b) => b.sizeBytes - a.sizeBytes)
    .slice(0, 5);
  scan.busiestDirs = [...dirFiles.entries()]
    .map(([path, c]) => ({ path, ...c }))
    .sort((a, b) => b.files - a.files)
    .slice(0, 5);
  return scan;
}

export async function gatherDisk(options: { roots: string[]; olderThanDays: number; maxEntries: number; timeoutMs: number }): Promise<DiskSnapshot> {
  const deadline = Date.now() + options.timeoutMs;
  const mounts = await gatherMounts();
  const perRoot = Math.max(100, Math.floor(options.maxEntries / Math.max(1, options.roots.length)));
  const cleanupRoots: CleanupRootScan[] = [];
  for (const root of options.roots.slice(0, 10)) {
    cleanupRoots.push(await scanCleanupRoot(root, { olderThanDays: options.olderThanDays, maxEntries: perRoot, deadline }));
  }
  return { mounts, cleanupRoots, olderThanDays: options.olderThanDays };
}
