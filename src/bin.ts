#!/usr/bin/env node
/**
 * The shipped `opsagent` program (dist/bin/opsagent.js). It runs the bundled CLI (dist/bin/opsagent-cli.cjs) from
 * V8's code cache: on Node 20 a short command spent most of its time compiling the same zod, yaml and store code on
 * every start, and Node 20 has no compile cache of its own (module.enableCompileCache needs 22.1). The build writes a
 * cache next to the bundle, made by running the common commands (scripts/bundle.mjs); when V8 refuses it (another
 * Node version, other V8 flags), the first short command writes one to the user's cache directory for the next runs
 * ($XDG_CACHE_HOME/opsagent, else ~/.cache/opsagent).
 * A cache is only ever an optimisation: a missing, stale or broken one means compiling as usual, never a failure.
 * The daemon and `opsagent mcp` run until stopped: they start from the ES-module build instead (see LONG_RUNNING).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

interface Cli {
  main(argv: readonly string[]): Promise<void>;
}

// V8 checks a code cache against its flags as they were when the cache was made: model/matchers.ts turns this one
// on when it loads (for user regexes), so it is on from the start, in the build's training run and in every run.
setFlagsFromString('--enable-experimental-regexp-engine');

const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, 'opsagent-cli.cjs');
const shippedCache = join(here, 'opsagent-cli.cache');
/** Commands that run longer than this (the daemon, a follow) are not what the cache is for; their code stays out. */
const SHORT_COMMAND_MS = 5_000;

/**
 * With --enable-source-maps (the systemd unit sets it, for stack traces into src/), Node maps only what require()
 * compiled: such a process loads the bundle plainly, trading ~30 ms once for readable traces.
 */
function sourceMapsWanted(): boolean {
  return process.execArgv.includes('--enable-source-maps') || (process.env.NODE_OPTIONS ?? '').includes('--enable-source-maps');
}

/**
 * The user's cache, named for this Node and this very bundle file (V8 checks a cache against the source's length
 * only, so a cache must never meet another build of the bundle).
 */
function userCachePath(): string {
  const base = process.env.XDG_CACHE_HOME && process.env.XDG_CACHE_HOME.startsWith('/') ? process.env.XDG_CACHE_HOME : join(homedir(), '.cache');
  const { size, mtimeMs } = statSync(bundle);
  return join(base, 'opsagent', `cli-${process.version}-${process.arch}-${size}-${Math.trunc(mtimeMs)}.cache`);
}

function readOrUndefined(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function writeAtomically(path: string, data: Buffer): void {
  try {
    const dir = dirname(path);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, path);
    for (const old of readdirSync(dir)) if (old.startsWith('cli-') && join(dir, old) !== path) rmSync(join(dir, old), { force: true });
  } catch {
    // a read-only home, a full disk: the next run compiles as this one did
  }
}

/** The bundle compiled, from `cached` when V8 accepts it (script.cachedDataRejected says when it did not). */
function compile(source: string, cached: Buffer | undefined): Script {
  return new Script(Module.wrap(source), { filename: bundle, cachedData: cached });
}

function execute(script: Script): Cli {
  const module = { exports: {} as Cli };
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  wrapper.call(module.exports, module.exports, createRequire(bundle), module, bundle, here);
  return module.exports;
}

/**
 * `OPSAGENT_CODE_CACHE_TRAIN` (the build sets it): a JSON list of command lines to run in this one process, after
 * which the code they compiled is written as the shipped cache.
 */
async function train(plan: string): Promise<void> {
  const lines = JSON.parse(plan) as string[][];
  const script = compile(readFileSync(bundle, 'utf8'), undefined);
  const cli = execute(script);
  for (const args of lines) await cli.main([process.argv[0]!, process.argv[1]!, ...args]);
  writeFileSync(shippedCache, script.createCachedData());
  process.exit(0);
}

/** Commands that run until stopped: started from the ES-module build (dist/bin/daemon/), for its smaller footprint. */
const LONG_RUNNING = new Set(['run', 'mcp']);
const OPTIONS_WITH_VALUE = new Set(['--config', '--db']);

/** The command word of a command line (global options and their values skipped), as commander will see it. */
function commandOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (OPTIONS_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

async function run(): Promise<void> {
  if (process.env.OPSAGENT_CODE_CACHE_TRAIN) return train(process.env.OPSAGENT_CODE_CACHE_TRAIN);
  if (LONG_RUNNING.has(commandOf(process.argv.slice(2)) ?? '')) {
    await import(pathToFileURL(join(here, 'daemon', 'opsagent.js')).href); // runs the command line itself
    return;
  }
  if (sourceMapsWanted()) return (createRequire(bundle)(bundle) as Cli).main(process.argv);
  // One compile only: V8 keeps a compiled script in memory by its source, so a second attempt with another cache
  // would not even read it. The user's cache exists only where the shipped one was refused, so it goes first.
  const userCache = userCachePath();
  const cached = readOrUndefined(userCache) ?? readOrUndefined(shippedCache);
  const script = compile(readFileSync(bundle, 'utf8'), cached);
  const stale = cached === undefined || script.cachedDataRejected === true;
  const startedAt = Date.now();
  await execute(script).main(process.argv);
  if (stale && Date.now() - startedAt < SHORT_COMMAND_MS) writeAtomically(userCache, script.createCachedData());
}

await run();
