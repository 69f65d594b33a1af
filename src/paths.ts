import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the opsagent package root (package.json + migrations/)');
    dir = parent;
  }
}

/** Where opsagent is installed: migrations/, config/ and the default data/ live here (src and dist alike). */
export const PACKAGE_ROOT = findPackageRoot();

/**
 * The directory relative paths in the config resolve against: OPSAGENT_HOME, else the install directory,
 * so `./bin/opsagent.sh` finds the same database from any working directory.
 */
export function opsagentHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.OPSAGENT_HOME ? resolve(env.OPSAGENT_HOME) : PACKAGE_ROOT;
}

/** The config file to use: an explicit one, else config/netdata.yaml in the working directory, else in the home. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OPSAGENT_CONFIG) return resolve(env.OPSAGENT_CONFIG);
  const local = resolve('config/netdata.yaml');
  return existsSync(local) ? local : join(opsagentHome(env), 'config/netdata.yaml');
}

/** Turns `file:relative/path.db` into an absolute file URL against base; other URLs pass through. */
export function resolveDatabaseUrl(url: string, base: string): string {
  if (!url.startsWith('file:')) return url;
  const path = url.slice('file:'.length);
  if (path === ':memory:' || isAbsolute(path)) return url;
  return `file:${resolve(base, path)}`;
}
