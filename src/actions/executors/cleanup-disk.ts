import { lstat, readFile, realpath } from 'node:fs/promises';
import type { ActionParams } from '../../model/action-catalog.js';
import { mountPointsBelow, parseMountInfo, unsafeRootReason, type PathStat } from '../../model/cleanup-roots.js';
import { describeFailure, runCommand } from './run-command.js';
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

async function lstatComponent(path: string): Promise<PathStat> {
  const st = await lstat(path);
  return { isDirectory: st.isDirectory(), isSymbolicLink: st.isSymbolicLink(), uid: st.uid, mode: st.mode };
}

/** Whether a configured root may be walked now (cleanup-roots.ts: exists, no link, nobody else can swap a component). */
function rootProblem(root: string): Promise<string | undefined> {
  return unsafeRootReason(root, lstatComponent, process.geteuid?.() ?? 0);
}

const MAX_MOUNTS_BELOW = 1_000;

/**
 * The mount points below a root, from the mount table itself: a bind mount of the same filesystem keeps st_dev, so
 * find -xdev walks right into it; each mount has its own id in /proc/self/mountinfo. undefined = unreadable.
 */
async function mountsBelow(root: string): Promise<string[] | undefined> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => undefined);
  return text === undefined ? undefined : mountPointsBelow(parseMountInfo(text), root);
}

/** find -path takes a glob: a path with *, ?, [ or \\ in it must match only itself. */
function globLiteral(path: string): string {
  return path.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/**
 * The find(1) command that cleans `target` inside `root`. The walk starts at the root (a real path the operator
 * configured), never at the target: find descends with directory file descriptors and never follows symlinks
 * (-P), and -delete unlinks relative to those descriptors, so a directory swapped for a symlink by a local user
 * (roots like /tmp are world-writable) cannot lead the deletion outside the root. Resolving the target's path
 * ourselves and starting there would follow a swapped parent directory. -delete implies -depth, where -prune does
 * nothing, so systemd's private temp directories and everything outside the target are excluded by path instead.
 * Every mount point below the root (skipMounts) is excluded the same way, with everything under it: -xdev stops only
 * at another filesystem, not at a bind mount of the same one, which would lead the walk to files outside the root.
 * Prints "l" per symlink seen in the target and the size of each file matched (after it was deleted, so a file
 * that could not be deleted is not counted).
 */
export function findCommand(root: string, target: string, minutes: number, del: boolean, skipMounts: readonly string[] = []): string[] {
  const r = root === '/' ? '' : globLiteral(root);
  const t = globLiteral(target);
  return [
    'find', '-P', root, '-xdev', '-depth',
    '(', '-path', `${r}/systemd-private-*`, ')', '-o',
    ...skipMounts.flatMap((m) => ['(', '-path', globLiteral(m), '-o', '-path', `${globLiteral(m)}/*`, ')', '-o']),
    ...(target === root ? [] : ['(', '!', '-path', t, '!', '-path', `${t}/*`, ')', '-o']),
    '(', '-type', 'l', '-printf', 'l\\n', ')', '-o',
    '(', '-type', 'f', '-mmin', `+${minutes}`, ...(del ? ['-delete'] : []), '-printf', '%s\\n', ')',
  ];
}

interface Tally {
  files: number;
  bytes: number;
  symlinks: number;
  errors: string[];
  truncated: boolean;
}

function tally(output: string): Tally {
  const t: Tally = { files: 0, bytes: 0, symlinks: 0, errors: [], truncated: false };
  for (const line of output.split('\n')) {
    if (/^\d+$/.test(line)) {
      t.files++;
      t.bytes += Number(line);
    } else if (line === 'l') t.symlinks++;
    else if (line.startsWith('… [output truncated')) t.truncated = true;
    else if (line.trim() !== '') t.errors.push(line.slice(0, 300));
  }
  return t;
}

/**
 * Deletes regular files older than N days under a path inside a configured root, with GNU find (see findCommand
 * for why that is race-safe). Symlinks are never followed nor deleted; systemd-private-* directories are left
 * alone. More than maxFiles matching files: nothing is deleted (a first pass counts them).
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
  // A valid root has no link in it, so it contains the real path of what it contains. A root the path only seems to
  // be in may be a link planted where a missing root was expected: its own problem is the better answer.
  const root = cfg.roots.find((r) => isInside(real, r)) ?? cfg.roots.find((r) => isInside(params.path, r));
  if (!root) return fail(`not cleaned: ${params.path}${real !== params.path ? ` (really ${real})` : ''} is not inside a cleanup root (${cfg.roots.join(', ')})`);
  const unsafe = await rootProblem(root);
  if (unsafe) return fail(`not cleaned: ${unsafe}`);
  if (!isInside(real, root)) return fail(`not cleaned: ${params.path} (really ${real}) is not inside a cleanup root (${cfg.roots.join(', ')})`);
  const mounts = await mountsBelow(root);
  if (!mounts) return fail(`not cleaned: /proc/self/mountinfo cannot be read, so the mounts below ${root} are unknown`);
  if (mounts.length > MAX_MOUNTS_BELOW) return fail(`not cleaned: ${mounts.length} mount points lie below ${root} (more than ${MAX_MOUNTS_BELOW})`);
  const crossed = mounts.find((m) => isInside(real, m));
  if (crossed) return fail(`not cleaned: ${real} is on another mount (${crossed} is mounted below ${root}), and cleanup_disk never leaves the mount of its root`);

  // A proposal (maybe the LLM's) may ask for a longer retention than the operator's, never a shorter one.
  const days = Math.max(params.olderThanDays ?? cfg.olderThanDays, cfg.olderThanDays);
  const minutes = Math.ceil(days * 1_440);
  const dryRun = ctx.config.dryRun;
  const timeoutMs = ctx.config.timeoutSeconds * 1000;
  const deadline = Date.now() + timeoutMs;
  const outputLimitBytes = (cfg.maxFiles + 1) * 24 + 65_536; // one size per line, plus room for find's complaints
  const where = `under ${real} older than ${days} day(s)`;

  const counted = await runCommand(findCommand(root, real, minutes, false, mounts), { timeoutMs, outputLimitBytes });
  if (counted.spawnError || counted.timedOut) return fail(`not cleaned: ${describeFailure('find', counted, timeoutMs)}`, counted.output.slice(0, 2_000));
  const preview = tally(counted.output);
  if (preview.truncated || preview.files > cfg.maxFiles) {
    return fail(`not cleaned: more than ${cfg.maxFiles} files ${where} (actions.cleanupDisk.maxFiles); nothing was deleted`, preview.errors.slice(0, 20).join('\n'));
  }
  let t = preview;
  let stopped = '';
  if (!dryRun) {
    // Only root can mount; one mounting below the root between the passes gets nothing deleted, not a guess.
    const now = await mountsBelow(root);
    if (!now || now.join('\0') !== mounts.join('\0')) return fail(`not cleaned: the mounts below ${root} changed during the cleanup; nothing was deleted`);
    const left = Math.max(1_000, deadline - Date.now());
    const r = await runCommand(findCommand(root, real, minutes, true, mounts), { timeoutMs: left, outputLimitBytes });
    if (r.spawnError) return fail(`not cleaned: ${describeFailure('find', r, left)}`);
    t = tally(r.output);
    if (r.timedOut) stopped = `stopped: ${describeFailure('find', r, left)}`;
  }

  const details = [
    `${t.files} file(s), ${formatBytes(t.bytes)} ${dryRun ? 'would be removed' : 'removed'} ${where}`,
    t.symlinks ? `${t.symlinks} symlink(s) left alone` : '',
    mounts.length ? `${mounts.length} mount point(s) below ${root} left alone: ${mounts.slice(0, 5).join(', ')}${mounts.length > 5 ? ', …' : ''}` : '',
    stopped,
    ...t.errors.slice(0, 20),
  ].filter(Boolean).join('\n');
  if (dryRun) return { success: true, summary: `Dry run: would remove ${formatBytes(t.bytes)} of temp files (${t.files} files)`, output: details };
  if (t.files === 0) return { success: t.errors.length === 0 && !stopped, summary: `No temp files ${where}`, output: details };
  return { success: true, summary: `${formatBytes(t.bytes)} temp files removed`, output: details };
};
