import { lstat, readdir, realpath, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActionParams } from '../catalog.js';
import { fail, type Executor } from './types.js';

/** "2GB", "1.5MB", "512B": how the seed reports freed space ("2GB temp files removed"). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  const shown = i === 0 || value >= 10 ? Math.round(value).toString() : (Math.round(value * 10) / 10).toString();
  return `${shown}${units[i]}`;
}

function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);
}

/** The real root containing path, or undefined. Roots that do not exist are ignored. */
export async function containingRoot(path: string, roots: readonly string[]): Promise<string | undefined> {
  for (const root of roots) {
    const real = await realpath(root).catch(() => undefined);
    if (real && isInside(path, real)) return real;
  }
  return undefined;
}

interface Tally {
  files: number;
  bytes: number;
  symlinksSkipped: number;
  errors: string[];
  seen: number;
}

/**
 * Deletes regular files older than N days under a path inside a configured root. Symlinks are never followed nor
 * deleted, and each directory's real path is re-checked before it is read, so swapping a directory for a symlink
 * during the walk cannot lead outside the root.
 */
export const cleanupDisk: Executor = async (raw, ctx) => {
  const params = raw as ActionParams<'cleanup_disk'>;
  const cfg = ctx.config.cleanupDisk;
  if (!params.path.startsWith('/')) return fail(`not cleaned: ${params.path} is not an absolute path`);
  if (params.path.split('/').some((seg) => seg === '..' || seg === '.')) return fail(`not cleaned: "." and ".." are not allowed in the path (${params.path})`);
  let real: string;
  try {
    real = await realpath(params.path);
  } catch {
    return fail(`not cleaned: ${params.path} does not exist`);
  }
  const root = await containingRoot(real, cfg.roots);
  if (!root) return fail(`not cleaned: ${params.path}${real !== params.path ? ` (really ${real})` : ''} is not inside a cleanup root (${cfg.roots.join(', ')})`);

  const days = params.olderThanDays ?? cfg.olderThanDays;
  const cutoff = ctx.now() - days * 86_400_000;
  const dryRun = ctx.config.dryRun;
  const t: Tally = { files: 0, bytes: 0, symlinksSkipped: 0, errors: [], seen: 0 };

  const consider = async (file: string) => {
    t.seen++;
    const st = await lstat(file);
    if (st.isSymbolicLink()) {
      t.symlinksSkipped++;
      return;
    }
    if (!st.isFile() || st.mtimeMs >= cutoff) return;
    if (!dryRun) await unlink(file);
    t.files++;
    t.bytes += st.size;
  };

  const top = await lstat(real);
  if (top.isFile()) {
    if (real === root) return fail(`not cleaned: ${real} is a cleanup root itself`);
    await consider(real);
  } else {
    const stack = [real];
    while (stack.length > 0 && t.seen < cfg.maxFiles) {
      const dir = stack.pop()!;
      const now = await realpath(dir).catch(() => undefined);
      if (now !== dir || !isInside(now, root)) {
        t.errors.push(`${dir}: changed during the walk; skipped`);
        continue;
      }
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        t.errors.push(`${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        continue;
      }
      for (const e of entries) {
        if (t.seen >= cfg.maxFiles) break;
        const p = join(dir, e.name);
        try {
          if (e.isDirectory()) stack.push(p);
          else await consider(p);
        } catch (err) {
          t.errors.push(`${p}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        }
      }
    }
  }

  const where = `under ${real} older than ${days} day(s)`;
  const details = [
    `${t.files} file(s), ${formatBytes(t.bytes)} ${dryRun ? 'would be removed' : 'removed'} ${where}`,
    t.symlinksSkipped ? `${t.symlinksSkipped} symlink(s) left alone` : '',
    t.seen >= cfg.maxFiles ? `stopped after ${cfg.maxFiles} files (actions.cleanupDisk.maxFiles)` : '',
    ...t.errors.slice(0, 20),
  ].filter(Boolean).join('\n');
  if (dryRun) return { success: true, summary: `Dry run: would remove ${formatBytes(t.bytes)} of temp files (${t.files} files)`, output: details };
  if (t.files === 0) return { success: t.errors.length === 0, summary: `No temp files ${where}`, output: details };
  return { success: true, summary: `${formatBytes(t.bytes)} temp files removed`, output: details };
};
