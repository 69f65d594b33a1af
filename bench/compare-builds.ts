import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';
import { machineDescription } from './machine.js';
import { genericAlertBodies, runStorm, startOpsagent, type Settings, type Target } from './http-ingest.js';

/**
 * `npm run bench:compare -- <baseline revision> [<candidate revision>] [alerts]`: is the ingest path slower than
 * another commit's? Builds each revision in a temporary worktree (sharing this checkout's node_modules; without a
 * candidate, this checkout as it is), then runs the HTTP ingest storm against both daemons at once, in alternating
 * bursts, so the machine's moods hit both alike. Prints both and the ratio.
 */
const [rev = 'HEAD~1', second, third] = process.argv.slice(2);
const candidateRev = second && !/^\d+$/.test(second) ? second : undefined;
const alerts = Number((candidateRev ? third : second) ?? 30_000);
const git = (...args: string[]) => execFileSync('git', args, { cwd: PACKAGE_ROOT, encoding: 'utf8' }).trim();
const worktrees: string[] = [];

/** A built worktree of one revision. */
function build(revision: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'opsagent-build-'));
  worktrees.push(dir);
  git('worktree', 'add', '--detach', dir, revision);
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, [join(PACKAGE_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });
  if (!existsSync(join(dir, 'dist/src/cli.js'))) throw new Error(`the build of ${revision} has no dist/src/cli.js`);
  return dir;
}

const commit = git('rev-parse', '--short', rev);
try {
  const dir = build(commit);
  const candidate = candidateRev ? { root: build(candidateRev), label: git('rev-parse', '--short', candidateRev) } : undefined;

  const o: Settings = { alerts, fingerprints: 200, batch: 100, concurrency: 48, bursts: 10, warmup: 2_000 };
  const bodies = (per: number, count?: number, name?: string) => genericAlertBodies(o, per, count, name);
  const targets: Target[] = [
    candidate
      ? { key: 'opsagent', label: candidate.label, start: () => startOpsagent(candidate.root), bodies }
      : { key: 'opsagent', label: `this checkout (${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain') ? ' + changes' : ''})`, start: () => startOpsagent(), bodies },
    { key: 'baseline', label: `baseline ${commit}`, start: () => startOpsagent(dir), bodies },
  ];
  const run = await runStorm(targets, o, (l) => console.error(`  ${l}`));
  console.log(`# Ingest: ${targets[0]!.label} vs ${commit}\n\nOn ${machineDescription()}; ${alerts.toLocaleString('en-US')} alerts per target and mode, bursts alternating.\n`);
  console.log('| build | mode | req/s | alerts/s | server CPU per request | alerts/s of each burst |\n|---|---|---|---|---|---|');
  for (const t of targets) {
    for (const m of run.results.get(t.key)!) {
      console.log(`| ${t.label} | ${m.mode} | ${m.requestsPerSecond} | ${m.alertsPerSecond} | ${m.cpuMicrosPerRequest ?? '?'} µs | ${m.bursts.join(' / ')} |`);
    }
  }
  const ours = run.results.get('opsagent')!;
  const base = run.results.get('baseline')!;
  console.log(`\nRatio candidate / baseline (alerts/s): ${ours.map((m, i) => `${m.mode} ${(m.alertsPerSecond / base[i]!.alertsPerSecond).toFixed(2)}×`).join(', ')}.`);
} finally {
  for (const dir of worktrees) {
    try {
      git('worktree', 'remove', '--force', dir);
    } catch {
      rmSync(dir, { recursive: true, force: true });
      git('worktree', 'prune');
    }
  }
}
