import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
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

/** Where `opsagent init` puts the config and the data: system-wide for root, else the user's XDG directories. */
export interface StandardPlaces {
  configFile: string;
  dataDir: string;
}

function xdg(env: NodeJS.ProcessEnv, name: 'XDG_CONFIG_HOME' | 'XDG_DATA_HOME', fallback: string): string {
  const value = env[name];
  // The XDG spec says to ignore a relative value; without HOME (a bare service), the account's home directory.
  return value && isAbsolute(value) ? value : join(env.HOME || homedir(), fallback);
}

export function userPlaces(env: NodeJS.ProcessEnv = process.env): StandardPlaces {
  return {
    configFile: join(xdg(env, 'XDG_CONFIG_HOME', '.config'), 'opsagent', 'opsagent.yaml'),
    dataDir: join(xdg(env, 'XDG_DATA_HOME', '.local/share'), 'opsagent'),
  };
}

export const SYSTEM_PLACES: StandardPlaces = { configFile: '/etc/opsagent/opsagent.yaml', dataDir: '/var/lib/opsagent' };

export function standardPlaces(env: NodeJS.ProcessEnv = process.env, uid: number | undefined = process.getuid?.()): StandardPlaces {
  return uid === 0 ? SYSTEM_PLACES : userPlaces(env);
}

/** A config file that may be used, and why it is the one (shown by `opsagent config-check`). */
export interface ConfigCandidate {
  path: string;
  source: string;
}

/**
 * Where a config is looked for, first found wins (README "Configuration"): OPSAGENT_CONFIG; config/netdata.yaml in
 * the working directory (a source checkout, `npm start`); the user's $XDG_CONFIG_HOME/opsagent/opsagent.yaml;
 * /etc/opsagent/opsagent.yaml; config/netdata.yaml of OPSAGENT_HOME or the install directory (the example defaults).
 * --config comes before all of them.
 */
export function configCandidates(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ConfigCandidate[] {
  if (env.OPSAGENT_CONFIG) return [{ path: resolve(env.OPSAGENT_CONFIG), source: 'OPSAGENT_CONFIG' }];
  return [
    { path: resolve(cwd, 'config/netdata.yaml'), source: 'the working directory' },
    { path: userPlaces(env).configFile, source: "the user's config ($XDG_CONFIG_HOME)" },
    { path: SYSTEM_PLACES.configFile, source: 'the system config' },
    { path: join(opsagentHome(env), 'config/netdata.yaml'), source: env.OPSAGENT_HOME ? 'OPSAGENT_HOME' : 'the example config of the installed package' },
  ];
}

/** The config file to use when --config gives none: the first candidate that exists, else the last. */
export function findConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ConfigCandidate {
  const candidates = configCandidates(env, cwd);
  return candidates.find((c) => existsSync(c.path)) ?? candidates.at(-1)!;
}

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return findConfig(env).path;
}

/** Turns `file:relative/path.db` into an absolute file URL against base; other URLs pass through. */
export function resolveDatabaseUrl(url: string, base: string): string {
  if (!url.startsWith('file:')) return url;
  const path = url.slice('file:'.length);
  if (path === ':memory:' || isAbsolute(path)) return url;
  return `file:${resolve(base, path)}`;
}

/** runbooks.dir: an absolute path, or one relative to the agent's home (as the database file is); '' = none. */
export function resolveRunbooksDir(dir: string, base: string): string | undefined {
  if (dir === '') return undefined;
  return isAbsolute(dir) ? dir : resolve(base, dir);
}
