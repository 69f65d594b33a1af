import { serviceUnitsInCgroup } from './service-units.js';

/**
 * How to recognise OpsAgent's own processes, the running agent's siblings included. The daemon's comm is "node", so
 * no name identifies it; what does is what it runs: this package's CLI (dist/src/cli.js as documented and in the
 * shipped systemd unit, src/cli.ts under tsx, the `opsagent` npm bin, bin/opsagent.sh, `npm start` in the package),
 * or the cgroup of the shipped unit (opsagent.service). Every command of the CLI counts, not only `run`: killing a
 * second daemon, an `actions-approve --wait` or a `config-check` is never a remediation.
 */

/** The npm bin (node_modules/.bin/opsagent, /usr/local/bin/opsagent) and bin/opsagent.sh. */
const NAMED = /^opsagent(?:\.sh|\.js|\.mjs|\.cjs)?$/;
/** dist/src/cli.js is a common file name, so only the package.json of the directory it sits in can tell: group 1. */
const CLI_FILE = /^((?:.*\/)?)(?:dist\/src\/cli\.m?js|src\/cli\.ts)$/;
const NODE_LIKE = new Set(['node', 'nodejs', 'bun', 'tsx', 'ts-node']);
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh']);
const NPM_LIKE = new Set(['npm', 'npx', 'pnpm', 'yarn', 'corepack']);
/** Node options that take their value as the next argument (`--import tsx`, `-r ./preload.js`). */
const VALUE_OPTIONS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--env-file', '--title', '--inspect-port', '--input-type', '--watch-path', '-o', '-O']);
/** npm subcommands that run a script of the package in the working directory (`npm start` as documented). */
const NPM_SCRIPTS = new Set(['start', 'run', 'run-script', 'test', 'restart']);

export interface CliInvocation {
  /** What in the command line identifies it, as given there. */
  script: string;
  /**
   * Set when only a package.json can tell: the directory of it as the process sees it ('' = its working
   * directory; a relative path is relative to that; an absolute one to its root directory).
   */
  packageDir?: string;
}

function base(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** node20 → node, npm-cli.js → npm: the program a file name stands for. */
function programOf(arg: string): string {
  const name = base(arg);
  const cli = /^(npm|npx)-cli\.js$/.exec(name);
  return cli ? cli[1]! : name.replace(/[\d.]+$/, '');
}

function identify(arg: string): CliInvocation | undefined {
  if (NAMED.test(base(arg))) return { script: arg };
  const cli = CLI_FILE.exec(arg);
  return cli ? { script: arg, packageDir: cli[1]! } : undefined;
}

/** `sh -c "cd /opt/opsagent && exec node dist/src/cli.js run"`: any word of the command that runs the CLI. */
function inShellCommand(command: string): CliInvocation | undefined {
  for (const word of command.split(/[\s;&|()<>`'"]+/)) {
    const found = identify(word);
    if (found) return found;
  }
  return undefined;
}

/** Whether argv (from /proc/PID/cmdline) runs the OpsAgent CLI, and what identifies it; pure. */
export function opsagentInvocation(argv: readonly string[]): CliInvocation | undefined {
  // process.title rewrites the whole command line into one string ("npm start", "node dist/src/cli.js run")
  const args = argv.length === 1 && /\s/.test(argv[0]!) ? argv[0]!.trim().split(/\s+/) : argv;
  const first = args[0];
  if (first === undefined) return undefined;
  const direct = NAMED.test(base(first)) ? { script: first } : undefined;
  if (direct) return direct;
  let runner = programOf(first);
  if (!NODE_LIKE.has(runner) && !SHELLS.has(runner) && !NPM_LIKE.has(runner) && runner !== 'env') return undefined;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    if (runner === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(arg)) continue;
    if (arg.startsWith('-')) {
      if (SHELLS.has(runner) && arg === '-c') return inShellCommand(args[i + 1] ?? '');
      if (NODE_LIKE.has(runner) && ['-e', '--eval', '-p', '--print'].includes(arg)) return undefined; // inline code, no script
      if (VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    const found = identify(arg);
    if (found) return found;
    if (NPM_LIKE.has(runner) && NPM_SCRIPTS.has(arg)) return { script: `${runner} ${arg}`, packageDir: '' };
    if (NPM_LIKE.has(runner) && ['exec', 'x', 'dlx'].includes(arg)) continue;
    const next = programOf(arg);
    if (NODE_LIKE.has(next) || NPM_LIKE.has(next) || SHELLS.has(next) || next === 'env') {
      runner = next; // node …/tsx src/cli.ts, node …/npm-cli.js start, env node …
      continue;
    }
    return undefined; // another script
  }
  return undefined;
}

/** Where the package.json of an invocation is, read through /proc so a container's or another cwd's path resolves. */
export function packageJsonPath(pid: number, packageDir: string): string {
  return packageDir.startsWith('/') ? `/proc/${pid}/root${packageDir}package.json` : `/proc/${pid}/cwd/${packageDir}package.json`;
}

/** The shipped unit, or an instance of it, in a process's cgroup. */
export function opsagentUnitOf(cgroupText: string): string | undefined {
  return serviceUnitsInCgroup(cgroupText).find((u) => /^opsagent(@[^/]*)?\.service$/.test(u));
}

export interface ProcessIdentity {
  pid: number;
  argv: readonly string[];
  /** /proc/PID/cgroup text. */
  cgroup: string;
}

/**
 * Why this is an OpsAgent process ("it runs the OpsAgent CLI (…)"), or undefined. When only a package.json can tell
 * and it cannot be read or parsed, the process counts as ours: refusing to kill a stranger is the safe mistake.
 * `readFile` must be safe on hostile paths (readSmallFile).
 */
export async function ownProcessReason(p: ProcessIdentity, readFile: (path: string) => Promise<string | undefined>): Promise<string | undefined> {
  const unit = opsagentUnitOf(p.cgroup);
  if (unit) return `it runs in ${unit}, the agent's own unit`;
  const found = opsagentInvocation(p.argv);
  if (!found) return undefined;
  const shown = found.script.slice(0, 200);
  if (found.packageDir === undefined) return `it runs the OpsAgent CLI (${shown})`;
  const text = await readFile(packageJsonPath(p.pid, found.packageDir));
  let name: unknown;
  try {
    name = text === undefined ? undefined : (JSON.parse(text) as { name?: unknown } | null)?.name;
  } catch {
    name = undefined;
  }
  if (name === 'opsagent') return `it runs the OpsAgent CLI (${shown})`;
  if (typeof name === 'string') return undefined; // another package's dist/src/cli.js
  return `it runs ${shown}, which may be the OpsAgent CLI (the package.json beside it cannot be read)`;
}
