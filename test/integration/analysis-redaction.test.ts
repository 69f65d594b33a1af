import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { IssueAnalyzer } from '../../src/analysis/issue-analyzer.js';
import { analysisMetadata, renderAnalysis } from '../../src/analysis/render-analysis.js';
import { analyzerSettingsFrom } from '../../src/analysis/settings.js';
import { defaultConfig } from '../../src/config/load.js';
import { startFakeLlm, submit } from '../helpers/fake-llm.js';
import { openTempStore, tempDir } from '../helpers/temp-store.js';

/** A busy child whose command line carries `args` (no process.title: that would overwrite them). */
async function busyChild(script: string, args: string[]): Promise<ChildProcess & { pid: number }> {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => {
    proc.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child did not start')), 10_000);
    proc.stdout!.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.on('error', reject);
  });
  return proc as ChildProcess & { pid: number };
}

const PLANTED = {
  password: 'PLANTEDpw1x',
  pgPassword: 'PLANTEDpg2x',
  awsSecret: 'PLANTEDawsSecretKey0123456789abcdefghijkl',
  awsKeyId: 'AKIAPLANTED000000000',
  token: 'PLANTEDtok3x',
  logPassword: 'PLANTEDlog4x',
  operatorPattern: 'CUST-778899',
};

describe('redaction before anything goes to the LLM', () => {
  it('masks secrets planted in real command lines (and a log file): none reaches the fake LLM, and the count is recorded', async () => {
    const dir = tempDir('opsagent-redact-');
    const script = join(dir, 'burn.js');
    writeFileSync(script, "console.log('ready'); for (;;) {}\n");
    const log = join(dir, 'app.log');
    writeFileSync(log, `2026-12-03 ERROR login failed for postgres://svc:${PLANTED.logPassword}@db/app customer ${PLANTED.operatorPattern}\n`);
    const a = await busyChild(script, [`--password=${PLANTED.password}`, `postgres://app:${PLANTED.pgPassword}@db:5432/app`]);
    const b = await busyChild(script, [`AWS_SECRET_ACCESS_KEY=${PLANTED.awsSecret}`, PLANTED.awsKeyId, '--token', PLANTED.token]);

    const fake = await startFakeLlm();
    fake.script({ kind: 'tool_calls', calls: [{ name: 'get_top_processes', args: {} }, { name: 'get_recent_errors', args: { minutes: 30 } }] }, { kind: 'tool_calls', calls: [submit()] });
    const config = defaultConfig({
      opsagent: { serverId: 'test-server' },
      netdata: { url: '' },
      llm: { apiKey: fake.apiKey, baseUrl: fake.baseUrl, timeoutSeconds: 5, redact: { patterns: ['CUST-[0-9]{6}'] } },
      analysis: { logFiles: [log] },
      actions: { killProcess: { allowedPids: [a.pid, b.pid] }, cleanupDisk: { roots: [dir] } },
    });
    const settings = analyzerSettingsFrom(config, 'test-server');
    settings.gather.cpuSampleMs = 300;
    const store = await openTempStore();
    const [r] = await store.tracker.ingest([{ server_id: 'test-server', name: '10min_cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'WARNING', source: 'opsagent', occurred_at: Date.now() }]);
    const result = await new IssueAnalyzer(settings).analyse((await store.issues.get(r!.issue_id!))!);

    expect(result.analyzer).toBe('llm');
    const sent = fake.requests.map((q) => JSON.stringify(q.body)).join('\n');
    // The command lines did reach the model, masked: the busy children are the actionable ones.
    expect(sent).toContain(`${a.pid}`);
    expect(sent).toContain('--password=***');
    expect(sent).toContain('AWS_SECRET_ACCESS_KEY=***');
    for (const secret of Object.values(PLANTED)) expect(sent).not.toContain(secret);
    // Each child is in the initial context and the tool answer, so each of its secrets is masked at least twice.
    expect(result.redactedValues).toBeGreaterThanOrEqual(8);
    expect(analysisMetadata(result)).toMatchObject({ redactedValues: result.redactedValues, rule: 'cpu-busiest-process' });
    expect(renderAnalysis(result)).toContain(`Redacted before sending to the LLM: ${result.redactedValues} value(s)`);
  });
});
