import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EvalCase } from '../../eval/case.js';
import { runCase } from '../../eval/run-case.js';
import { tempDir } from '../helpers/temp-store.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('eval/record.ts', () => {
  it('records this machine as a case that replays through the rules, with the secrets of command lines masked', async () => {
    const dir = tempDir('opsagent-record-');
    writeFileSync(join(dir, 'entry.json'), JSON.stringify({ unique_id: 7, alarm_id: 3, name: 'ram_in_use', chart: 'system.ram', context: 'system.ram', status: 'WARNING', when: 1764700000, value: 91, units: '%', info: 'system memory utilization' }));
    const out = join(dir, 'case.json');
    // A busy process with a password on its command line: the recorder must not write it into a case meant for git.
    writeFileSync(join(dir, 'burn.js'), "console.log('ready'); for (;;) {}\n");
    const busy = spawn(process.execPath, [join(dir, 'burn.js'), '--password=PLANTEDrec1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => {
      busy.kill('SIGKILL');
    });
    await new Promise<void>((resolve) => busy.stdout!.once('data', () => resolve()));
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'eval/record.ts', '--alert', join(dir, 'entry.json'), '--id', 'recorded-here', '--out', out, '--roots', dir], { cwd: ROOT, timeout: 60_000 });

    const text = readFileSync(out, 'utf8');
    const recorded = EvalCase.parse(JSON.parse(text));
    expect(recorded.machine.processes.length).toBeGreaterThan(3);
    expect(recorded.machine.memory?.totalMiB).toBeGreaterThan(0);
    expect(recorded.machine.processes.find((p) => p.pid === busy.pid)?.cmdline).toContain('--password=***');
    expect(text).not.toContain('PLANTEDrec1');
    const { result } = await runCase(recorded);
    expect(result.rule).toBe('memory-largest-process');
    expect(result.summary.length).toBeGreaterThan(10);
  });
});
