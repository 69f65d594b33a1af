import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-store.js';
import { recordPart } from './figures.js';
import { hostileJsonText, hostileValue, mutated } from './hostile-input.js';
import { SEED } from './support.js';

/** Each run spawns the built CLI (~1 s), so this fuzzer takes dozens of inputs where the HTTP one takes thousands. */
const RUNS = Number(process.env.RELIABILITY_CLI_RUNS ?? 32);

const validEvent = { server_id: 'web-1', name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'WARNING', value: 91.5, units: '%', info: 'cpu high', event_key: 'k', occurred_at: 1_790_000_000_000 };

type Input = { kind: 'stdin'; text: string } | { kind: 'file'; text: string } | { kind: 'path'; path: string };

function counts(path: string): string {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    return JSON.stringify(db.prepare('SELECT (SELECT COUNT(*) FROM issues) AS i, (SELECT COUNT(*) FROM issue_comments) AS c, (SELECT COUNT(*) FROM ingest_keys) AS k').get());
  } finally {
    db.close();
  }
}

describe('fuzzing `opsagent alerts-ingest`', () => {
  it('exits 1 with one clear line and stores nothing for hostile input, never crashes', async () => {
    const started = Date.now();
    const dir = tempDir('opsagent-fuzz-cli-');
    const dbPath = join(dir, 'opsagent.db');
    const config = join(dir, 'opsagent.yaml');
    writeFileSync(config, `netdata: { url: "" }\nopsagent: { serverId: "fuzz-cli" }\ndiscord: { enabled: false }\ndatabase: { url: "file:${dbPath}" }\n`);
    mkdirSync(join(dir, 'a-directory'));
    let seq = 0;
    const key = (e: Record<string, unknown>) => (typeof e.event_key === 'string' ? { ...e, event_key: `${e.event_key}-${++seq}` } : e);

    const inputs = fc.sample(
      fc.oneof(
        mutated(validEvent).map((e): Input => ({ kind: 'stdin', text: JSON.stringify(key(e)) })),
        fc.array(mutated(validEvent), { minLength: 2, maxLength: 4 }).map((a): Input => ({ kind: 'stdin', text: a.map((e) => JSON.stringify(key(e))).join('\n') })), // JSON Lines
        hostileValue.map((v): Input => ({ kind: 'file', text: JSON.stringify(v) ?? '' })),
        hostileJsonText.map((text): Input => ({ kind: 'stdin', text })),
        fc.constantFrom<Input>(
          { kind: 'path', path: join(dir, 'missing.json') },
          { kind: 'path', path: join(dir, 'a-directory') },
          { kind: 'path', path: '/dev/null' },
          { kind: 'stdin', text: `${JSON.stringify(validEvent)}\n{"name": "x", "status": "WARNING"` },
          { kind: 'stdin', text: `[${Array.from({ length: 10_001 }, () => '{"name":"x","status":"WARNING"}').join(',')}]` },
          { kind: 'file', text: `{"name":"${'x'.repeat(3_000_000)}","status":"WARNING"}` },
        ),
      ),
      { seed: SEED, numRuns: RUNS },
    );
    // the first run migrates the database, so "unchanged" is measured against a created file
    expect((await runCli(['alerts-ingest', '--config', config, '-'], { input: JSON.stringify({ ...validEvent, event_key: 'seed' }) })).code).toBe(0);

    let refused = 0;
    const problems: string[] = [];
    let accepted = 0;
    for (const [i, input] of inputs.entries()) {
      const before = counts(dbPath);
      let arg = '-';
      if (input.kind === 'file') writeFileSync((arg = join(dir, `input-${i}.json`)), input.text);
      if (input.kind === 'path') arg = input.path;
      const r = await runCli(['alerts-ingest', '--config', config, arg], { input: input.kind === 'stdin' ? input.text : '', timeoutMs: 20_000 });
      const context = `input #${i} (${input.kind}) ${JSON.stringify(input).slice(0, 300)}: exit ${r.code}, stderr ${r.stderr.slice(0, 500)}`;
      const lines = r.stderr.trimEnd().split('\n');
      // a message may echo the input's own line breaks only inside the JSON parser's quoted excerpt
      const echoedBreaks = input.kind === 'path' ? 0 : (input.text.match(/\n/g)?.length ?? 0);
      const broken: string[] = [];
      if (r.code !== 0 && r.code !== 1) broken.push('exit code');
      if (/\n\s+at .+:\d+:\d+|TypeError|ReferenceError|SqliteError/.test(r.stderr)) broken.push('stack trace');
      if (r.code === 1) {
        refused++;
        if (!/^opsagent: \S/.test(lines[0] ?? '')) broken.push('no "opsagent: " line');
        if (lines.length > 1 + echoedBreaks) broken.push('more than one line');
        if (r.stdout !== '') broken.push('output on stdout');
        if (counts(dbPath) !== before) broken.push('stored something');
      } else if (r.code === 0) {
        accepted++;
        if (!/^ingested \d+ event/.test(r.stdout)) broken.push('no summary');
      }
      if (broken.length > 0) problems.push(`${context}: ${broken.join(', ')}`);
    }
    expect(problems).toEqual([]);

    recordPart({
      part: 'fuzz-cli',
      title: 'fuzzing `opsagent alerts-ingest` (built CLI, one process per input)',
      passed: true,
      durationMs: Date.now() - started,
      figures: { seed: SEED, inputsTried: inputs.length, refusedWithOneLineError: refused, acceptedAsValid: accepted, crashes: 0 },
    });
  });
});
