import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultConfig } from '../src/config/load.js';
import { openStore } from '../src/main.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { startChildDaemon } from './child-daemon.js';
import { fill } from './query-latency.js';

export interface CliLatencyRow {
  command: string;
  medianMs: number;
  /** median / the median of `node -e 0` in the same run */
  ratio: number;
  /** the issue's target ratio, when it sets one */
  target?: number;
}

export interface CliLatencyResult {
  floorMs: number;
  runs: number;
  rows: CliLatencyRow[];
  daemonStartMs: number[];
}

const BIN = join(PACKAGE_ROOT, 'dist/bin/opsagent.js');

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]!);
}

/** Whole-process wall time of `node args…`, spawn to exit; a failed command fails the benchmark. */
function wallMs(args: string[], env: NodeJS.ProcessEnv): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`benchmark: node ${args.join(' ')} exited with ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

/**
 * What an operator waits for at the prompt: each CLI command of the shipped bundle (dist/bin/opsagent.js, as the npm
 * bin runs it) beside `node -e 0`, interleaved round by round so a slow moment of the machine hurts every row alike;
 * then spawn → /healthz 200 of the daemon.
 */
export async function runCliLatencyBench(options: { runs?: number; bigIssues?: number; daemonRuns?: number } = {}): Promise<CliLatencyResult> {
  const runs = options.runs ?? 11;
  const dir = mkdtempSync(join(tmpdir(), 'opsagent-bench-cli-'));
  try {
    const config = join(dir, 'opsagent.yaml');
    writeFileSync(config, `netdata: { url: "" }\ndatabase: { url: "file:${join(dir, 'small.db')}" }\n`);
    const env = { ...process.env, OPSAGENT_CONFIG: config, OPSAGENT_LOG_LEVEL: 'warn', CI: '1' };
    const big = join(dir, 'big.db');
    for (const path of [join(dir, 'small.db'), big]) await (await openStore(defaultConfig(), { dbUrl: `file:${path}` })).db.close();
    const smallIds = fill(join(dir, 'small.db'), 20, 100);
    const bigIssues = options.bigIssues ?? 100_000;
    const bigIds = fill(big, bigIssues, bigIssues * 10);
    const commands: { command: string; args: string[]; target?: number }[] = [
      { command: 'node -e 0 (the floor)', args: ['-e', '0'] },
      { command: 'opsagent --help', args: [BIN, '--help'], target: 1.5 },
      { command: 'opsagent fingerprint a b c', args: [BIN, 'fingerprint', 'a', 'b', 'c'], target: 1.5 },
      { command: 'opsagent config-check', args: [BIN, 'config-check'], target: 2 },
      { command: 'opsagent issues-list (20 issues)', args: [BIN, 'issues-list'], target: 2 },
      { command: 'opsagent issues-show (20 issues)', args: [BIN, 'issues-show', smallIds[3]!], target: 2 },
      { command: `opsagent issues-list (${bigIssues.toLocaleString('en-US')} issues)`, args: [BIN, '--db', big, 'issues-list'], target: 2 },
      { command: `opsagent issues-show (${bigIssues.toLocaleString('en-US')} issues)`, args: [BIN, '--db', big, 'issues-show', bigIds[bigIds.length >> 1]!], target: 2 },
    ];
    for (const c of commands) wallMs(c.args, env); // warm the page cache; not counted
    const times = commands.map(() => [] as number[]);
    for (let round = 0; round < runs; round++) commands.forEach((c, i) => times[i]!.push(wallMs(c.args, env)));
    const floorMs = median(times[0]!);
    const rows = commands.map((c, i) => ({
      command: c.command,
      medianMs: median(times[i]!),
      ratio: Math.round((median(times[i]!) / floorMs) * 100) / 100,
      ...(c.target ? { target: c.target } : {}),
    }));
    const daemonStartMs: number[] = [];
    for (let i = 0; i < (options.daemonRuns ?? 5); i++) {
      const d = await startChildDaemon();
      daemonStartMs.push(d.startupMs);
      await d.stop();
    }
    return { floorMs, runs, rows, daemonStartMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function cliLatencyMarkdown(r: CliLatencyResult): string[] {
  return [
    `Whole-process wall time (spawn to exit) of the shipped bundle, median of ${r.runs} interleaved rounds, beside \`node -e 0\` measured in the same rounds (${r.floorMs} ms).\n`,
    '| command | median ms | × the node floor | target |\n|---|---|---|---|',
    ...r.rows.map((row) => `| ${row.command} | ${row.medianMs} | ${row.ratio}× | ${row.target ? `≤ ${row.target}× ${row.ratio <= row.target ? '(met)' : '(missed)'}` : ''} |`),
    `\nDaemon spawn → /healthz 200: ${r.daemonStartMs.join(', ')} ms (median ${median(r.daemonStartMs)} ms; target ≤ 400 ms).\n`,
  ];
}

// `npx tsx bench/cli-latency.ts [--quick]` runs this section alone (after `npm run build`), printing it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const result = await runCliLatencyBench(quick ? { runs: 5, bigIssues: 10_000, daemonRuns: 3 } : {});
  console.log(cliLatencyMarkdown(result).join('\n'));
}
