import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, errorMessage } from '../errors.js';

/**
 * The local API token: the credential that steers a daemon without `server.apiToken` (approve, reject, status, notes).
 * It lives in a file only the agent's user can read, so on a shared machine "can read the agent's data" and "can
 * steer the agent" are the same people, and the CLI finds the token by itself.
 */
export const LOCAL_TOKEN_FILE = 'api-token';

const TOKEN_FORMAT = /^[A-Za-z0-9_-]{32,512}$/;

/** Beside a file database (`file:data/opsagent.db` → `data/api-token`); `<home>/data/api-token` for a remote one. */
export function localTokenPath(databaseUrl: string, home: string): string {
  if (databaseUrl.startsWith('file:')) {
    const path = databaseUrl.startsWith('file://') ? fileURLToPath(databaseUrl) : databaseUrl.slice('file:'.length);
    if (path !== ':memory:' && path !== '') return join(dirname(isAbsolute(path) ? path : resolve(home, path)), LOCAL_TOKEN_FILE);
  }
  return join(home, 'data', LOCAL_TOKEN_FILE);
}

function isErrno(err: unknown, code: string): boolean {
  return (err as { code?: unknown } | null)?.code === code;
}

/**
 * Reads the token file; undefined when there is none. Refuses a file another user owns or others may read: such a
 * token may be known to someone else (a file planted in a shared directory, or one that was readable for a while).
 */
export function readLocalToken(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    if (isErrno(err, 'EACCES')) {
      throw new AppError('FORBIDDEN', `cannot read the local API token ${path}: only the agent's user may (run this as that user)`, { cause: err });
    }
    if (isErrno(err, 'ELOOP')) throw new AppError('CONFIG_INVALID', `the local API token ${path} is a symbolic link; delete it and restart the agent`, { cause: err });
    throw new AppError('CONFIG_INVALID', `cannot read the local API token ${path}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    const st = fstatSync(fd); // of the opened file, so it cannot be swapped between the check and the read
    if (!st.isFile()) throw new AppError('CONFIG_INVALID', `the local API token ${path} is not a regular file; delete it and restart the agent`);
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw new AppError('CONFIG_INVALID', `the local API token ${path} belongs to another user (uid ${st.uid}); delete it and restart the agent as its user`);
    }
    if ((st.mode & 0o077) !== 0) {
      throw new AppError('CONFIG_INVALID', `the local API token ${path} can be read by other users (mode ${(st.mode & 0o777).toString(8)}); delete it and restart the agent to make a new one`);
    }
    const token = readFileSync(fd, 'utf8').trim();
    if (!TOKEN_FORMAT.test(token)) throw new AppError('CONFIG_INVALID', `the local API token ${path} is empty or damaged; delete it and restart the agent to make a new one`);
    return token;
  } finally {
    closeSync(fd);
  }
}

/**
 * The daemon's local token: the existing file's, or a new random one written with mode 0600. The new file appears
 * whole or not at all (written under a temporary name, then hard-linked into place, which fails if it exists), so
 * two daemons starting at once end up with the same token and a reader never sees half a file.
 */
export function ensureLocalToken(path: string): { token: string; created: boolean } {
  const existing = readLocalToken(path);
  if (existing !== undefined) return { token: existing, created: false };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  const temp = join(dirname(path), `.${LOCAL_TOKEN_FILE}.${process.pid}.${randomBytes(6).toString('hex')}`);
  try {
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      writeSync(fd, `${token}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, path);
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
      const theirs = readLocalToken(path); // another process won the race: use its token
      if (theirs === undefined) throw err;
      return { token: theirs, created: false };
    }
    return { token, created: true };
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('CONFIG_INVALID', `cannot create the local API token ${path}: ${errorMessage(err)}`, { cause: err });
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already gone: nothing to clean up
    }
  }
}
