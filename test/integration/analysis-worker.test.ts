import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ValidProposal } from '../../src/model/action-catalog.js';
import { IssueAnalyzer } from '../../src/analysis/issue-analyzer.js';
import { analyzerSettingsFrom } from '../../src/analysis/settings.js';
import { defaultConfig } from '../../src/config/load.js';
import type { AlertEvent } from '../../src/model/alert.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { AnalysisWorker } from '../../src/pipeline/analysis-worker.js';
import { startFakeLlm, submit, type FakeLlm } from '../helpers/fake-llm.js';
import { openTempStore, tempDir } from '../helpers/temp-store.js';

type TempStore = Awaited<ReturnType<typeof openTempStore>>;

function event(over: Partial<AlertEvent> = {}): AlertEvent {
  // A remote server keeps these tests off this machine's /proc: only the worker's flow is under test here.
  return { server_id: 'web-9', name: 'web_log_5xx', context: 'web_log.codes', chart: 'web_log.codes', status: 'WARNING', value: 12, source: 'opsagent', occurred_at: Date.now(), ...over };
}

function worker(store: TempStore, options: { fake?: FakeLlm; maxLlmPerHour?: number; onAnalysed?: (issueId: string, proposals: ValidProposal[], commentId: number) => void } = {}) {
  const config = defaultConfig({
    opsagent: { serverId: 'test-server' },
    netdata: { url: '' },
    actions: { killProcess: { allowedPids: [process.pid] }, cleanupDisk: { roots: [tempDir()] } },
    ...(options.fake ? { llm: { apiKey: options.fake.apiKey, baseUrl: options.fake.baseUrl, timeoutSeconds: 5 } } : {}),
  });
  const w = new AnalysisWorker({
    tracker: store.tracker,
    issues: store.issues,
    jobs: store.analysisJobs,
    analyzer: new IssueAnalyzer(analyzerSettingsFrom(config, 'test-server')),
    agentId: 'test-server',
    maxLlmPerHour: options.maxLlmPerHour ?? 30,
    logger: process.env.DEBUG_ANALYSIS ? createLogger({ level: 'debug', pretty: false, destination: process.stderr }) : silentLogger(),
    pollIntervalMs: 200,
  });
  // What pipeline/wire.ts does for the daemon, with the test's own hand-off.
  store.tracker.afterCommit(w.wakeOnChanges);
  if (options.onAnalysed) w.handOffTo((issue, proposals, commentId) => options.onAnalysed!(issue.id, proposals, commentId));
  onTestFinished(() => w.stop());
  return w;
}

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('analysis jobs', () => {
  it('in a fleet, takes its own servers\' jobs first and another server\'s only once it has waited', async () => {
    const store = await openTempStore();
    const t0 = Date.now();
    const [foreign] = await store.tracker.ingest([event({ server_id: 'db-7', occurred_at: t0 })]); // queued first
    const [own] = await store.tracker.ingest([event({ server_id: 'web-9', occurred_at: t0 })]);
    const preference = { ownServers: () => ['test-server', 'web-9'], othersAfterMs: 120_000 };
    const jobs = store.analysisJobs;
    const first = await jobs.claim('test-server', t0 + 1_000, undefined, preference);
    expect(first).toMatchObject({ issue_id: own!.issue_id, status: 'running', claimed_by: 'test-server' });
    expect(await jobs.claim('test-server', t0 + 60_000, undefined, preference)).toBeUndefined(); // db-7's agent may still take it
    const late = await jobs.claim('test-server', t0 + 121_000, undefined, preference);
    expect(late).toMatchObject({ issue_id: foreign!.issue_id, status: 'running' });
    // One agent on a local file waits for nobody: the oldest job goes first, whoever's it is.
    const [another] = await store.tracker.ingest([event({ server_id: 'db-8', occurred_at: t0 + 2 })]);
    expect(await jobs.claim('test-server', t0 + 3_000, undefined, { ownServers: () => ['test-server'], othersAfterMs: 0 })).toMatchObject({ issue_id: another!.issue_id });
  });

  it('queues one job for a new issue, one for an escalation and one for a reopen, none for repeat firings', async () => {
    const store = await openTempStore();
    const t0 = Date.now();
    const [created] = await store.tracker.ingest([event({ occurred_at: t0 })]);
    const id = created!.issue_id!;
    await store.tracker.ingest(Array.from({ length: 50 }, (_, i) => event({ occurred_at: t0 + i + 1 })));
    expect((await store.analysisJobs.list({ issueId: id })).map((j) => j.reason)).toEqual(['created']);

    // While one is pending, an escalation does not queue a second one (one pending/running job per issue).
    await store.tracker.ingest([event({ status: 'CRITICAL', occurred_at: t0 + 100 })]);
    expect(await store.analysisJobs.list({ issueId: id })).toHaveLength(1);
    await store.db.run(`UPDATE analysis_jobs SET status = 'done'`);

    await store.tracker.ingest([event({ status: 'CLEAR', occurred_at: t0 + 200 })]);
    await store.tracker.ingest([event({ status: 'CRITICAL', occurred_at: t0 + 300 })]); // reopens within the window
    const jobs = await store.analysisJobs.list({ issueId: id });
    expect(jobs.map((j) => [j.reason, j.status])).toEqual([['created', 'done'], ['reopened', 'pending']]);
  });

  it('does not queue an analysis when a flapping issue reopens again', async () => {
    const store = await openTempStore();
    const t0 = Date.now();
    const [created] = await store.tracker.ingest([event({ occurred_at: t0 })]);
    const id = created!.issue_id!;
    // Resolve/reopen until the issue is flapping (5 transitions within 60 min by default), finishing jobs as we go.
    for (let i = 1; i <= 3; i++) {
      await store.db.run(`UPDATE analysis_jobs SET status = 'done'`);
      await store.tracker.ingest([event({ status: 'CLEAR', occurred_at: t0 + i * 1_000 })]);
      await store.tracker.ingest([event({ status: 'WARNING', occurred_at: t0 + i * 1_000 + 500 })]);
    }
    expect((await store.issues.get(id))!.metadata.flapping).toBe(true);
    const reopens = (await store.analysisJobs.list({ issueId: id })).filter((j) => j.reason === 'reopened');
    // Reopens before the flapping started were analysed; the ones after were not.
    expect(reopens.length).toBeGreaterThanOrEqual(1);
    expect(reopens.length).toBeLessThan(3);
    await store.db.run(`UPDATE analysis_jobs SET status = 'done'`);
    await store.tracker.ingest([event({ status: 'CLEAR', occurred_at: t0 + 10_000 })]);
    await store.tracker.ingest([event({ status: 'CRITICAL', occurred_at: t0 + 11_000 })]);
    expect(await store.analysisJobs.list({ issueId: id, status: 'pending' })).toEqual([]);
    expect((await store.analysisJobs.list({ issueId: id })).filter((j) => j.reason === 'reopened')).toHaveLength(reopens.length);
  });

  it('turns 1,000 firings of one alert into exactly one LLM request and one analysis comment', async () => {
    const fake = await startFakeLlm();
    fake.script({ kind: 'tool_calls', calls: [submit()] });
    const store = await openTempStore();
    const analysed: { issueId: string; proposals: ValidProposal[]; commentId: number }[] = [];
    const w = worker(store, { fake, onAnalysed: (issueId, proposals, commentId) => analysed.push({ issueId, proposals, commentId }) });
    w.start();
    const t0 = Date.now();
    // Sequential batches: concurrent single-event ingests can stall in IssueTracker's group commit (reported to the lead).
    for (let batch = 0; batch < 10; batch++) {
      await store.tracker.ingest(Array.from({ length: 100 }, (_, i) => event({ occurred_at: t0 + batch * 100 + i })));
    }
    await until(async () => (await store.analysisJobs.countByStatus()).done === 1);
    await w.stop();

    expect(fake.requests).toHaveLength(1);
    const [issue] = await store.issues.list();
    expect(issue).toMatchObject({ alert_count: 1_000, status: 'investigating' });
    const comments = await store.issues.comments(issue!.id);
    const analyses = comments.filter((c) => c.comment_type === 'analysis');
    expect(analyses).toHaveLength(1);
    expect(analyses[0]!.content).toContain('Summary: High CPU from a runaway process');
    expect(analyses[0]!.metadata).toMatchObject({
      analyzer: 'llm',
      model: 'kimi-k2.5',
      canAutoRemediate: false,
      requiresHumanAttention: true,
      tokens: { requests: 1, totalTokens: 900 },
      proposedActions: [expect.objectContaining({ type: 'notify_human' })],
      rejectedProposals: [],
      confidence: 'high',
    });
    expect(comments.some((c) => c.comment_type === 'status_change' && /investigating/i.test(c.content))).toBe(true);
    expect(analysed).toEqual([{ issueId: issue!.id, proposals: [expect.objectContaining({ type: 'notify_human' })], commentId: analyses[0]!.id }]);
  });

  it('after a restart runs pending jobs, retries an interrupted one once, and fails one interrupted twice', async () => {
    const store = await openTempStore();
    const ids: string[] = [];
    for (const name of ['a_alert', 'b_alert', 'c_alert']) {
      const [r] = await store.tracker.ingest([event({ name })]);
      ids.push(r!.issue_id!);
    }
    // Simulate a crash: b was being analysed for the first time, c for the second time.
    await store.db.run(`UPDATE analysis_jobs SET status = 'running', attempts = 1, claimed_by = 'test-server' WHERE issue_id = ?`, [ids[1]!]);
    await store.db.run(`UPDATE analysis_jobs SET status = 'running', attempts = 2, claimed_by = 'test-server' WHERE issue_id = ?`, [ids[2]!]);

    const w = worker(store);
    w.start();
    await until(async () => {
      const c = await store.analysisJobs.countByStatus();
      return c.pending === 0 && c.running === 0;
    });
    await w.stop();

    const jobs = await store.analysisJobs.list();
    expect(jobs.map((j) => [j.issue_id, j.status, j.attempts])).toEqual([[ids[0], 'done', 1], [ids[1], 'done', 2], [ids[2], 'failed', 2]]);
    for (const [i, expected] of [[0, 1], [1, 1], [2, 0]] as const) {
      const analyses = (await store.issues.comments(ids[i]!)).filter((c) => c.comment_type === 'analysis');
      expect(analyses).toHaveLength(expected);
    }
    const first = (await store.issues.comments(ids[0]!)).find((c) => c.comment_type === 'analysis')!;
    expect(first.metadata).toMatchObject({ analyzer: 'local', proposedActions: [expect.objectContaining({ type: 'log_analysis' }), expect.objectContaining({ type: 'notify_human' })] });
  });

  it('uses the local analyser beyond llm.maxCallsPerHour and says so in the comment', async () => {
    const fake = await startFakeLlm();
    fake.script({ kind: 'tool_calls', calls: [submit()] }, { kind: 'tool_calls', calls: [submit()] });
    const store = await openTempStore();
    const w = worker(store, { fake, maxLlmPerHour: 1 });
    w.start();
    await store.tracker.ingest([event({ name: 'first_alert' })]);
    await store.tracker.ingest([event({ name: 'second_alert' })]);
    await until(async () => (await store.analysisJobs.countByStatus()).done === 2);

    expect(fake.requests).toHaveLength(1);
    const analyses = (await Promise.all((await store.issues.list()).map((i) => store.issues.latestComment(i.id, 'analysis')))).map((c) => c!);
    expect(analyses.map((c) => c.metadata!.analyzer).sort()).toEqual(['llm', 'local']);
    const local = analyses.find((c) => c.metadata!.analyzer === 'local')!;
    expect(local.content).toContain('LLM hourly cap is reached (1 of llm.maxCallsPerHour = 1');
  });

  it('issues-analyze re-runs the analysis on demand and prints it', async () => {
    const store = await openTempStore();
    const [r] = await store.tracker.ingest([event({ name: 'cli_alert' })]);
    const configFile = join(store.dir, 'config.yaml');
    writeFileSync(configFile, `opsagent: { serverId: test-server }\nnetdata: { url: "" }\nactions: { cleanupDisk: { roots: ["${store.dir}"] } }\n`);
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(PACKAGE_ROOT, 'src/cli.ts'), '--config', configFile, '--db', `file:${store.path}`, 'issues-analyze', r!.issue_id!.slice(6, 20)], {
        cwd: PACKAGE_ROOT,
        env: { ...process.env, MOONSHOT_API_KEY: '' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    expect(out.stderr).not.toContain('Error');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`Analysis of ${r!.issue_id}`);
    expect(out.stdout).toContain('Summary: Alert cli_alert');
    expect(out.stdout).toContain('Analyzer: local rules');
    const jobs = await store.analysisJobs.list({ issueId: r!.issue_id! });
    expect(jobs).toEqual([expect.objectContaining({ reason: 'manual', status: 'done' })]);
    expect((await store.issues.get(r!.issue_id!))!.status).toBe('investigating');
  });
});

describe('handing analyses to remediation', () => {
  it('hands an analysis recorded without a remediation stage (the CLI, or a stop in between) to the daemon once', async () => {
    const store = await openTempStore();
    const [created] = await store.tracker.ingest([event()]);
    const cli = worker(store); // like `issues-analyze`: records the analysis, acts on nothing
    cli.start();
    await until(async () => (await store.issues.comments(created!.issue_id!)).some((c) => c.comment_type === 'analysis'));
    await cli.stop();

    const handed: { issueId: string; types: string[]; commentId: number }[] = [];
    const daemon = worker(store, { onAnalysed: (issueId, proposals, commentId) => void handed.push({ issueId, types: proposals.map((p) => p.type), commentId }) });
    daemon.start();
    await until(async () => handed.length === 1);
    daemon.wake();
    await new Promise((r) => setTimeout(r, 500));
    await daemon.idle();
    const analysis = (await store.issues.comments(created!.issue_id!)).find((c) => c.comment_type === 'analysis')!;
    expect(handed).toEqual([{ issueId: created!.issue_id, types: (analysis.metadata!.proposedActions as { type: string }[]).map((p) => p.type), commentId: analysis.id }]);
  });
});
