/**
 * The rules for actions.cleanupDisk.roots, shared by config-check (which roots may be configured at all), the
 * proposal checks and the cleanup_disk executor (whether a root is safe to walk right now, which mounts lie below it).
 * Pure: the callers pass lstat and the text of /proc/self/mountinfo in.
 */

/** Directories that hold the operating system, with everything below them: nothing there is a temp file. */
const SYSTEM_TREES = ['/bin', '/boot', '/dev', '/efi', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/sbin', '/snap', '/sys', '/usr'];
/** Shared temp directories: every program on the machine may keep live files there (see minimumAgeProblem). */
export const SHARED_TEMP_DIRS: readonly string[] = ['/tmp', '/var/tmp', '/dev/shm'];
/** Directories whose children belong to many owners or hold state: they may not be a root, a dedicated subdirectory may. */
const SYSTEM_DIRS = [
  '/',
  '/home',
  '/root',
  '/media',
  '/mnt',
  '/opt',
  '/run',
  '/run/user',
  '/srv',
  '/var',
  '/var/backups',
  '/var/cache',
  '/var/lib',
  '/var/local',
  '/var/lock',
  '/var/log',
  '/var/mail',
  '/var/opt',
  '/var/run',
  '/var/spool',
  '/var/www',
];

function isAtOrBelow(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/**
 * Why `root` may not be configured as a cleanup root, or undefined. Roots are compared as written, so they must be
 * written plainly (absolute, no "//", ".", ".." or trailing "/"): "/tmp/../etc" must not slip past "/etc".
 */
export function systemRootProblem(root: string): string | undefined {
  if (!root.startsWith('/')) return `${root} is not an absolute path`;
  if (root !== '/' && (root.endsWith('/') || root.split('/').slice(1).some((s) => s === '' || s === '.' || s === '..'))) {
    return `${root} must be written without "//", ".", ".." or a trailing "/"`;
  }
  if (/[\u0000-\u001f]/.test(root)) return `${root} contains control characters`;
  if (root === '/') return '/ is the whole filesystem: cleaning it would delete any old file on the machine';
  if (SHARED_TEMP_DIRS.some((t) => isAtOrBelow(root, t))) return undefined; // /dev/shm lies under /dev but is a temp dir
  const tree = SYSTEM_TREES.find((t) => isAtOrBelow(root, t));
  if (tree) return `${root} holds the operating system (${tree}): no file there is a temp file`;
  if (SYSTEM_DIRS.includes(root)) return `${root} is a system directory whose old files are data, not temp files: configure a dedicated subdirectory instead`;
  return undefined;
}

/**
 * Why olderThanDays is too short for these roots, or undefined. 0 deletes a file the moment it is written, so it is
 * refused for the shared temp directories, where other programs keep files they are using (sockets' lock files,
 * downloads in progress, build trees): there at least 1 day. A directory dedicated to one application may use 0.
 */
export function minimumAgeProblem(roots: readonly string[], olderThanDays: number): string | undefined {
  if (olderThanDays >= 1) return undefined;
  const shared = roots.find((r) => SHARED_TEMP_DIRS.includes(r));
  return shared
    ? `olderThanDays ${olderThanDays} would delete files other programs are still using in ${shared}, which every program shares: use at least 1 there (a shorter age is allowed only for a directory dedicated to one application)`
    : undefined;
}

/** What lstat says about one path component. */
export interface PathStat {
  isDirectory: boolean;
  isSymbolicLink: boolean;
  uid: number;
  mode: number;
}

/**
 * Why one component on the way to a cleanup root makes the root unsafe, or undefined. The walk never follows a link
 * and every component must be a real directory owned by root or the agent's user; an ancestor must also be writable
 * by nobody else, except a root-owned sticky directory (/tmp): there nobody can rename or remove an entry another user
 * owns. Then no other user can change which directory the path names between this check and the cleanup. The root
 * itself may be writable by everyone (it is a temp directory: find never follows what they put in it).
 */
export function componentProblem(path: string, st: PathStat, agentUid: number, isRoot: boolean): string | undefined {
  if (st.isSymbolicLink) return `${path} is a symbolic link (any user who can write to the directory it is in could point it elsewhere)`;
  if (!st.isDirectory) return `${path} is not a directory`;
  if (st.uid !== 0 && st.uid !== agentUid) return `${path} belongs to uid ${st.uid}, not root or the agent's user, so that user could swap it for a link to any directory`;
  if (isRoot) return undefined;
  const writableByOthers = (st.mode & 0o022) !== 0;
  const stickyRootOwned = (st.mode & 0o1000) !== 0 && st.uid === 0;
  if (writableByOthers && !stickyRootOwned) {
    return `${path} is writable by other users (mode ${(st.mode & 0o7777).toString(8)}), so they could replace what lies below it`;
  }
  return undefined;
}

/** The components of an absolute path, "/" first: "/a/b" → ["/", "/a", "/a/b"]. */
export function pathComponents(path: string): string[] {
  const parts = path.split('/').filter((s) => s !== '');
  return ['/', ...parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`)];
}

/**
 * Why this configured root may not be cleaned now, or undefined. It must exist: a root that does not exist yet under
 * a directory other users can write to could be created by any of them, as a link to the files they want deleted.
 */
export async function unsafeRootReason(root: string, lstat: (path: string) => Promise<PathStat>, agentUid: number): Promise<string | undefined> {
  const configured = systemRootProblem(root);
  if (configured) return configured;
  const components = pathComponents(root);
  for (const [i, path] of components.entries()) {
    let st: PathStat;
    try {
      st = await lstat(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return `cleanup root ${root} does not exist: create it (owned by root or the agent's user) or remove it from actions.cleanupDisk.roots`;
      return `cannot check ${path} on the way to cleanup root ${root}: ${code ?? String(err)}`;
    }
    const problem = componentProblem(path, st, agentUid, i === components.length - 1);
    if (problem) return `cleanup root ${root} is not safe: ${problem}`;
  }
  return undefined;
}

/** One line of /proc/self/mountinfo (proc(5)). */
export interface MountEntry {
  mountId: number;
  parentId: number;
  /** The directory of the source filesystem that is mounted: "/" for a whole filesystem, a subdirectory for a bind mount. */
  source: string;
  mountPoint: string;
  fsType: string;
}

/** mountinfo writes space, tab, newline and backslash as \040, \011, \012 and \134. */
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function parseMountInfo(text: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (fields.length < 7 || dash < 6) continue;
    const mountId = Number(fields[0]);
    const parentId = Number(fields[1]);
    if (!Number.isInteger(mountId) || !Number.isInteger(parentId)) continue;
    mounts.push({ mountId, parentId, source: unescapeMountPath(fields[3]!), mountPoint: unescapeMountPath(fields[4]!), fsType: fields[dash + 1] ?? '' });
  }
  return mounts;
}

/**
 * The mount points strictly below `dir`, sorted, without duplicates. Each is a mount of its own (its own mount id),
 * whether or not it is the same filesystem (a bind mount keeps st_dev, so find -xdev walks right into it).
 */
export function mountPointsBelow(mounts: readonly MountEntry[], dir: string): string[] {
  const prefix = dir === '/' ? '/' : `${dir}/`;
  return [...new Set(mounts.map((m) => m.mountPoint).filter((p) => p !== dir && p.startsWith(prefix)))].sort();
}
