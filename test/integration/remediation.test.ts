import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { validateProposal, type RawProposal, type ValidProposal } from '../../src/model/action-catalog.js';
import { defaultConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { Issue } from '../../src/model/issue.js';
import { silentLogger } from '../../src/logger.js';
import { openStore, type Store } from '../../src/main.js';
import { Remediation } from '../../src/pipeline/remediation.js';
import { wirePipeline } from '../../src/pipeline/wire.js';
import { type ActionEvent } from '../../src/model/action.js';
import { fakeSystemctl } from '../helpers/fake-systemctl.js';
import { openTempStore, tempDir } from '../helpers/temp-store.js';

// Ahead of the wall clock the tracker stamps its own comments with, so timelines read in order.
const T0 = Math.ceil(Date.now() / 60_000) * 60_000 + 120_000;

function configWith(dir: string, opsagent: Record<string, unknown>, actions: Record<string, unknown> = {}): Config {
  const log = join(dir, 'app.log');
  writeFileSync(log, `${new Date(T0).toISOString()} app[1]: ERROR connection refused\n`);
  return defaultConfig({
    opsagent: { serverId: 'test-server', ...opsagent },
    analysis: { enabled: false, logFiles: [log] },
    actions: { logAnalysis: { useJournal: false }, clearCache: { command: ['true'] }, cleanupDisk: { roots: [dir] }, killProcess: { allowedPids: [999_999_999 % 4_194_304] }, ...actions },
  });
}

function proposal(raw: RawProposal): ValidProposal {
  const check = validateProposal(raw);
  if (!check.ok) throw new Error(check.reason);
  return check.proposal;
}

async function openIssue(store: Store, name = 'cpu_usage', at = T0): Promise<Issue> {
  const [r] = await store.tracker.ingest([{ server_id: 'test-server', name, context: 'system.cpu', chart: 'system.cpu', status: 'WARNING', value: 95, source: 'opsagent', occurred_at: at }]);
  return (await store.issues.get(r!.issue_id!))!;
}

async function clearIssue(store: Store, at: number, name = 'cpu_usage'): Promise<void> {
  await store.tracker.ingest([{ server_id: 'test-server', name, context: 'system.cpu', chart: 'system.cpu', status: 'CLEAR', source: 'opsagent', occurred_at: at }]);
}

function build(store: Store, config: Config, clock: { now: number }) {
  const events: ActionEvent[] = [];
  const remediation = new Remediation({ ...store, config, logger: silentLogger(), now: () => clock.now });
  wirePipeline({ tracker: store.tracker, remediation }, { handOff: 'record-only' });
  remediation.onActionEvent((e) => events.push(e));
  return { remediation, events };
}

async function actionComments(store: Store, issueId: string): Promise<string[]> {
  return (await store.issues.comments(issueId)).filter((c) => c.comment_type === 'action').map((c) => c.content);
}

describe('remediation: gate, hourly limit, approvals, verification', () => {
  it('runs 10 automatic low-risk actions in an hour in limited mode and refuses the 11th, also after a restart', async () => {
    const dir = tempDir();
    const config = configWith(dir, { permissionLevel: 'limited', autoRemediate: true });
    const url = `file:${join(dir, 'agent.db')}`;
    const clock = { now: T0 };
    const first = await openStore(config, { dbUrl: url });
    const issue = await openIssue(first);
    const { remediation } = build(first, config, clock);
    const proposals = Array.from({ length: 11 }, (_, i) => proposal({ type: 'log_analysis', params: { minutes: i + 1 }, reason: 'look at the logs' }));
    const results = await remediation.handleProposals(issue, proposals, null);
    expect(results.slice(0, 10).map((a) => a.status)).toEqual(Array(10).fill('succeeded'));
    expect(results[10]).toMatchObject({ status: 'denied', decision_reason: 'Hourly action limit reached (10 actions/hour)' });
    expect((await actionComments(first, issue.id)).at(-1)).toContain('Hourly action limit reached (10 actions/hour)');
    await first.db.close();

    // A new process on the same database: the count comes from the rows, not from memory.
    clock.now = T0 + 30 * 60_000;
    const second = await openStore(config, { dbUrl: url });
    onTestFinished(() => second.db.close());
    const again = build(second, config, clock).remediation;
    const [refused] = await again.handleProposals(issue, [proposal({ type: 'log_analysis', params: { minutes: 99 } })], null);
    expect(refused).toMatchObject({ status: 'denied', decision_reason: 'Hourly action limit reached (10 actions/hour)' });

    // The window slides: an hour after the first ten, automatic actions run again.
    clock.now = T0 + 61 * 60_000;
    const [later] = await again.handleProposals(issue, [proposal({ type: 'log_analysis', params: { minutes: 98 } })], null);
    expect(later).toMatchObject({ status: 'succeeded', success: true });
  });

  it('runs a human-approved action even at the hourly limit, and counts it', async () => {
    const dir = tempDir();
    const systemctl = fakeSystemctl(dir);
    const config = configWith(dir, { permissionLevel: 'limited', autoRemediate: true }, { restartService: { command: systemctl.command } });
    const store = await openTempStore({ config });
    const clock = { now: T0 };
    const { remediation, events } = build(store, config, clock);
    const issue = await openIssue(store);
    await remediation.handleProposals(issue, Array.from({ length: 10 }, (_, i) => proposal({ type: 'log_analysis', params: { minutes: i + 1 } })), null);
    const [pending] = await remediation.handleProposals(issue, [proposal({ type: 'restart_service', params: { service: 'api-server.service' }, reason: 'memory leak' })], 7);
    expect(pending).toMatchObject({ status: 'pending_approval', decision_reason: 'Risky action requires human approval', analysis_comment_id: 7 });
    expect(events.map((e) => e.message)).toContain('⚠️ Action requires approval: restart_service');
    expect(await actionComments(store, issue.id)).toContainEqual(expect.stringMatching(/^⚠️ Action requires approval: restart_service/));

    const done = await remediation.approve(pending!.id.slice(0, -1), 'alice');
    expect(done).toMatchObject({ status: 'succeeded', decided_by: 'alice', success: true, verification: 'pending' });
    expect(systemctl.calls()).toEqual([['restart', 'api-server.service']]);
    const comments = await store.issues.comments(issue.id);
    expect(comments.find((c) => c.content === '👍 Action approved by alice: restart_service')).toMatchObject({ author_type: 'human', author_name: 'alice' });
    expect(comments.at(-1)).toMatchObject({ comment_type: 'action', content: '✅ restart_service: Service api-server.service restarted', metadata: { success: true, action_id: pending!.id } });
    const [next] = await remediation.handleProposals(issue, [proposal({ type: 'log_analysis', params: { minutes: 50 } })], null);
    expect(next?.decision_reason).toBe('Hourly action limit reached (10 actions/hour)');
    expect(await store.actions.countExecutedSince(store.db, 'test-server', clock.now - 3_600_000)).toBe(11);
  });

  it('executes a double approval exactly once and kills the real child process', async () => {
    const dir = tempDir();
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const config = configWith(dir, { permissionLevel: 'limited', autoRemediate: true }, { killProcess: { allowedPids: [child.pid!], graceMs: 2_000 } });
    const store = await openTempStore({ config });
    const clock = { now: T0 };
    const { remediation } = build(store, config, clock);
    const issue = await openIssue(store);
    const [pending] = await remediation.handleProposals(issue, [proposal({ type: 'kill_process', params: { pid: child.pid, name: 'sleep' }, reason: 'runaway' })], null);
    expect(pending?.status).toBe('pending_approval');
    expect(child.exitCode).toBeNull();

    const outcomes = await Promise.allSettled([remediation.approve(pending!.id, 'alice'), remediation.approve(pending!.id, 'bob')]);
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toMatchObject({ code: 'CONFLICT' });
    expect(await exited).toBe('SIGTERM');
    const comments = await actionComments(store, issue.id);
    expect(comments.filter((c) => c.startsWith('✅ kill_process'))).toEqual(['✅ kill_process: Process sleep killed']);
    expect(comments.filter((c) => c.startsWith('👍'))).toHaveLength(1);
    await expect(remediation.approve(pending!.id, 'carol')).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('expires an approval nobody answered, comments it, and refuses a late approval', async () => {
    const dir = tempDir();
    const config = configWith(dir, { permissionLevel: 'limited', autoRemediate: false }, { approvalTimeoutMinutes: 60 });
    const store = await openTempStore({ config });
    const clock = { now: T0 };
    const { remediation, events } = build(store, config, clock);
    const issue = await openIssue(store);
    const [pending] = await remediation.handleProposals(issue, [proposal({ type: 'clear_cache' })], null);
    expect(pending).toMatchObject({ status: 'pending_approval', expires_at: T0 + 3_600_000 });
    expect(pending?.decision_reason).toMatch(/autoRemediate: false/);
    clock.now = T0 + 59 * 60_000;
    expect(await remediation.expireDue()).toBe(0);
    clock.now = T0 + 61 * 60_000;
    expect(await remediation.expireDue()).toBe(1);
    expect(await remediation.expireDue()).toBe(0);
    expect(await store.actions.get(pending!.id)).toMatchObject({ status: 'expired', decision_reason: 'No decision within 60 min' });
    expect((await actionComments(store, issue.id)).at(-1)).toBe('⌛ Approval expired: clear_cache (no decision within 60 min); not executed');
    expect(events.map((e) => e.kind)).toEqual(['pending_approval', 'expired']);
    await expect(remediation.approve(pending!.id, 'alice')).rejects.toThrow(/is expired, not pending approval/);
  });

  it('rejects a pending action with who and why, and the rejection is final', async () => {
    const dir = tempDir();
    const config = configWith(dir, { permissionLevel: 'limited', autoRemediate: false });
    const store = await openTempStore({ config });
    const { remediation } = build(store, config, { now: T0 });
    const issue = await openIssue(store);
    const [pending] = await remediation.handleProposals(issue, [proposal({ type: 'cleanup_disk', params: { path: dir } })], null);
    const rejected = await remediation.reject(pending!.id, 'bob', 'not during the sale');
    expect(rejected).toMatchObject({ status: 'rejected', decided_by: 'bob', decision_reason: 'Rejected by bob: not during the sale' });
    await expect(remediation.approve(pending!.id, 'alice')).rejects.toMatchObject({ code: 'CONFLICT' });
    const comments = (await store.issues.comments(issue.id)).filter((c) => c.comment_type === 'action');
    expect(comments.at(-1)).toMatchObject({ author_type: 'human', author_name: 'bob', content: '👎 Action rejected by bob: cleanup_disk (not during the sale)' });
  });

  it('does not execute an approval once the issue has resolved', async () => {
    const dir = tempDir();
    const config = configWith(dir, { permissionLevel: 'limited', autoRemediate: false });
    const store = await openTempStore({ config });
    const { remediation } = build(store, config, { now: T0 });
    const issue = await openIssue(store);
    const [pending] = await remediation.handleProposals(issue, [proposal({ type: 'clear_cache' })], null);
    await clearIssue(store, T0 + 60_000);
    await expect(remediation.approve(pending!.id, 'alice')).rejects.toThrow(/is resolved; action .* was not executed/);
    expect(await store.actions.get(pending!.id)).toMatchObject({ status: 'skipped', executed_at: null });
  });

  it('verifies an action when the alert clears within the window', async () => {
    const dir = tempDir();
    const config = configWith(dir, { permissionLevel: 'limited', autoRemediate: true });
    const store = await openTempStore({ config });
    const clock = { now: T0 };
    const { remediation, events } = build(store, config, clock);
    const issue = await openIssue(store);
    const [done] = await remediation.handleProposals(issue, [proposal({ type: 'clear_cache' })], null);
    expect(done).toMatchObject({ status: 'succeeded', verification: 'pending', verify_deadline: T0 + 10 * 60_000 });
    expect((await actionComments(store, issue.id)).at(-1)).toBe('✅ clear_cache: System cache cleared');

    await clearIssue(store, T0 + 2 * 60_000);
    expect(await store.actions.get(done!.id)).toMatchObject({ verification: 'verified' });
    expect((await actionComments(store, issue.id)).at(-1)).toBe('Verified: alert cleared 2 min after clear_cache');
    expect(events.filter((e) => e.kind === 'verified')).toHaveLength(1);
    clock.now = T0 + 11 * 60_000;
    expect(await remediation.verifyDue()).toBe(0);
  });

  it('marks an action not verified when the alert still fires at the end of the window, and tells a human', async () => {
    const dir = tempDir();
    const config = configWith(dir, { permissionLevel: 'full', autoRemediate: true }, { verifyWindowMinutes: 10 });
    const store = await openTempStore({ config });
    const clock = { now: T0 };
    const { remediation, events } = build(store, config, clock);
    const issue = await openIssue(store);
    const [done] = await remediation.handleProposals(issue, [proposal({ type: 'clear_cache' })], null);
    clock.now = T0 + 9 * 60_000;
    expect(await remediation.verifyDue()).toBe(0);
    clock.now = T0 + 10 * 60_000;
    expect(await remediation.verifyDue()).toBe(1);
    expect(await store.actions.get(done!.id)).toMatchObject({ verification: 'not_verified' });
    expect(await actionComments(store, issue.id)).toContain('Not verified: alert still firing 10 min after clear_cache; a human has been notified');
    const notify = events.find((e) => e.kind === 'notify');
    expect(notify?.message).toMatch(/still firing 10 min after clear_cache/);
    expect((await store.actions.list({ issueId: issue.id })).map((a) => a.action_type)).toContain('notify_human');
    const stats = await store.actionStats!(T0 - 1);
    expect(stats).toEqual([{ action_type: 'clear_cache', executed: 1, succeeded: 1, verified: 0, not_verified: 1 }]);
  });

  it('creates no pending action in readonly mode and asks for manual intervention', async () => {
    const dir = tempDir();
    const systemctl = fakeSystemctl(dir);
    const config = configWith(dir, { permissionLevel: 'readonly', autoRemediate: true }, { restartService: { command: systemctl.command } });
    const store = await openTempStore({ config });
    const { remediation, events } = build(store, config, { now: T0 });
    const issue = await openIssue(store, 'ram_usage');
    const results = await remediation.handleProposals(issue, [proposal({ type: 'restart_service', params: { service: 'api-server' }, reason: 'Memory leak detected' })], null);
    expect(results.map((a) => [a.action_type, a.status])).toEqual([['restart_service', 'denied'], ['notify_human', 'succeeded']]);
    expect(results[0]?.decision_reason).toBe('Readonly mode: no actions allowed');
    expect(await store.actions.list({ statuses: ['pending_approval'] })).toEqual([]);
    expect(systemctl.calls()).toEqual([]);
    expect((await actionComments(store, issue.id)).at(-1)).toMatch(/^🤖 Manual intervention required on ram_usage/);
    expect(events.find((e) => e.kind === 'notify')?.message).toMatch(/Manual intervention required/);
  });

  it('does not repeat the same action on the same issue within the cooldown, and holds back a flapping issue', async () => {
    const dir = tempDir();
    const config = configWith(dir, { permissionLevel: 'limited', autoRemediate: true }, { cooldownMinutes: 15 });
    const store = await openTempStore({ config });
    const clock = { now: T0 };
    const { remediation } = build(store, config, clock);
    const issue = await openIssue(store);
    const [first] = await remediation.handleProposals(issue, [proposal({ type: 'clear_cache' })], null);
    clock.now = T0 + 5 * 60_000;
    const [second] = await remediation.handleProposals(issue, [proposal({ type: 'clear_cache' })], null);
    expect(first?.status).toBe('succeeded');
    expect(second).toMatchObject({ status: 'skipped' });
    expect(second?.decision_reason).toMatch(/^Cooldown: the same action was succeeded on this issue 5 min ago/);
    clock.now = T0 + 16 * 60_000;
    const [third] = await remediation.handleProposals(issue, [proposal({ type: 'clear_cache' })], null);
    expect(third?.status).toBe('succeeded');

    await store.tracker.mutate(async (tx) => store.issues.update(tx, issue.id, { metadata: { ...issue.metadata, flapping: true } }));
    const [held] = await remediation.handleProposals(issue, [proposal({ type: 'log_analysis', params: {} })], null);
    expect(held).toMatchObject({ status: 'pending_approval' });
    expect(held?.decision_reason).toMatch(/flapping/);
    expect(await remediation.approve(held!.id, 'alice')).toMatchObject({ status: 'succeeded' });
  });

  it('denies every action but notify_human on an issue of another server', async () => {
    const dir = tempDir();
    const config = configWith(dir, { permissionLevel: 'full', autoRemediate: true });
    const store = await openTempStore({ config });
    const { remediation, events } = build(store, config, { now: T0 });
    const [r] = await store.tracker.ingest([{ server_id: 'db-7', name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'WARNING', value: 95, source: 'opsagent', occurred_at: T0 }]);
    const issue = (await store.issues.get(r!.issue_id!))!;
    const results = await remediation.handleProposals(issue, [proposal({ type: 'clear_cache' }), proposal({ type: 'notify_human', params: { message: 'look at db-7' } })], null);
    expect(results.map((a) => [a.action_type, a.status])).toEqual([['clear_cache', 'denied'], ['notify_human', 'succeeded']]);
    expect(results[0]?.decision_reason).toBe('this agent only acts on test-server; the issue is on db-7');
    expect(events.find((e) => e.kind === 'denied')?.message).toMatch(/this agent only acts on test-server/);
  });

  it('re-gates an approved action before running it: current permission level, issue status, approval age', async () => {
    const dir = tempDir();
    const config = configWith(dir, { permissionLevel: 'limited', autoRemediate: false }, { approvalTimeoutMinutes: 60 });
    const store = await openTempStore({ config });
    const clock = { now: T0 };
    // The CLI records approvals; the agent runs them on its scan.
    const cli = new Remediation({ ...store, config, logger: silentLogger(), now: () => clock.now, executeApproved: false });
    const issue = await openIssue(store);
    const [a1, a2, a3] = await cli.handleProposals(issue, [proposal({ type: 'clear_cache' }), proposal({ type: 'log_analysis', params: { minutes: 5 } }), proposal({ type: 'log_analysis', params: { minutes: 6 } })], null);
    for (const a of [a1, a2, a3]) expect(await cli.approve(a!.id, 'alice')).toMatchObject({ status: 'approved' });

    // The operator switched to readonly since: the approval does not override that.
    const readonly = configWith(dir, { permissionLevel: 'readonly', autoRemediate: false });
    const agentRo = build(store, readonly, clock);
    await agentRo.remediation.runApproved();
    expect(await store.actions.get(a1!.id)).toMatchObject({ status: 'denied', executed_at: null, decision_reason: 'Approved by alice but no longer allowed: Readonly mode: no actions allowed' });
    expect((await actionComments(store, issue.id)).some((c) => c.startsWith('🚫 Action denied: clear_cache') && c.includes('Readonly mode'))).toBe(true);
    // (the readonly agent refused all three; reset the other two to approved to test the other refusals)
    await store.db.run(`UPDATE actions SET status = 'approved' WHERE id IN (?, ?)`, [a2!.id, a3!.id]);

    // An approval not run within approvalTimeoutMinutes is stale.
    clock.now = T0 + 61 * 60_000;
    const agent = build(store, config, clock);
    await store.db.run(`UPDATE actions SET decided_at = ? WHERE id = ?`, [T0 + 30 * 60_000, a3!.id]);
    await agent.remediation.runApproved();
    expect(await store.actions.get(a2!.id)).toMatchObject({ status: 'skipped', executed_at: null, decision_reason: expect.stringMatching(/approval too old/) });
    expect(await store.actions.get(a3!.id)).toMatchObject({ status: 'succeeded' });

    // The issue resolved after the approval: not run.
    const [a4] = await cli.handleProposals(issue, [proposal({ type: 'log_analysis', params: { minutes: 7 } })], null);
    await cli.approve(a4!.id, 'bob');
    await clearIssue(store, clock.now + 1_000);
    await agent.remediation.runApproved();
    expect(await store.actions.get(a4!.id)).toMatchObject({ status: 'skipped', executed_at: null, decision_reason: expect.stringMatching(/issue .* is resolved: not executed/) });
  });

  it('treats a pending approval of the same action as a duplicate whatever its age and the cooldown', async () => {
    const dir = tempDir();
    const config = configWith(dir, { permissionLevel: 'limited', autoRemediate: false }, { cooldownMinutes: 0, approvalTimeoutMinutes: 600 });
    const store = await openTempStore({ config });
    const clock = { now: T0 };
    const { remediation } = build(store, config, clock);
    const issue = await openIssue(store);
    const [pending] = await remediation.handleProposals(issue, [proposal({ type: 'restart_service', params: { service: 'api.service' } })], null);
    expect(pending?.status).toBe('pending_approval');
    clock.now = T0 + 120 * 60_000;
    const [again, other] = await remediation.handleProposals(issue, [proposal({ type: 'restart_service', params: { service: 'api.service' } }), proposal({ type: 'restart_service', params: { service: 'web.service' } })], null);
    expect(again).toMatchObject({ status: 'skipped', decision_reason: `Cooldown: the same action is already pending approval as ${pending!.id}` });
    expect(other?.status).toBe('pending_approval');
    expect(await store.actions.list({ statuses: ['pending_approval'] })).toHaveLength(2);
  });

  it('verifies only when the alert clears, never when a human resolves the issue', async () => {
    const dir = tempDir();
    const config = configWith(dir, { permissionLevel: 'limited', autoRemediate: true });
    const url = `file:${join(dir, 'agent.db')}`;
    const store = await openStore(config, { dbUrl: url });
    onTestFinished(() => store.db.close());
    const clock = { now: T0 };
    const { remediation, events } = build(store, config, clock);
    const issue = await openIssue(store);
    const [done] = await remediation.handleProposals(issue, [proposal({ type: 'clear_cache' })], null);
    await store.tracker.setStatus(issue.id, 'resolved', { author: { type: 'human', name: 'alice' } });
    expect(await store.actions.get(done!.id)).toMatchObject({ verification: 'pending' });
    clock.now = T0 + 10 * 60_000;
    expect(await remediation.verifyDue()).toBe(1);
    expect(await store.actions.get(done!.id)).toMatchObject({ verification: 'not_verified' });
    expect((await actionComments(store, issue.id)).at(-1)).toBe('Not verified: the issue was resolved by hand, not by the alert clearing, after clear_cache');
    expect(events.filter((e) => e.kind === 'verified')).toEqual([]);
    expect((await store.actions.list({ issueId: issue.id })).map((a) => a.action_type)).not.toContain('notify_human');

    // An alert clearing ingested by another process (no hook there) still verifies at the deadline.
    const other = await openIssue(store, 'ram_usage');
    clock.now = T0 + 11 * 60_000;
    const [done2] = await remediation.handleProposals(other, [proposal({ type: 'clear_cache' })], null);
    const cliStore = await openStore(config, { dbUrl: url });
    onTestFinished(() => cliStore.db.close());
    await clearIssue(cliStore, T0 + 12 * 60_000, 'ram_usage');
    expect(await store.actions.get(done2!.id)).toMatchObject({ verification: 'pending' });
    clock.now = T0 + 21 * 60_000;
    expect(await remediation.verifyDue()).toBe(1);
    expect(await store.actions.get(done2!.id)).toMatchObject({ verification: 'verified' });
  });

  it('denies custom_command in limited mode and runs it without a shell in full mode', async () => {
    const dir = tempDir();
    const limited = configWith(dir, { permissionLevel: 'limited', autoRemediate: true });
    const store = await openTempStore({ config: limited });
    const issue = await openIssue(store);
    const [denied] = await build(store, limited, { now: T0 }).remediation.handleProposals(issue, [proposal({ type: 'custom_command', params: { argv: ['echo', 'hi'] } })], null);
    expect(denied).toMatchObject({ status: 'denied', decision_reason: 'custom_command is not allowed in limited mode' });

    const full = configWith(dir, { permissionLevel: 'full', autoRemediate: true });
    const fullRem = build(store, full, { now: T0 }).remediation;
    const [ran] = await fullRem.handleProposals(issue, [proposal({ type: 'custom_command', params: { argv: ['echo', '$HOME; rm -rf /nothing'] } })], null);
    expect(ran).toMatchObject({ status: 'succeeded', output: '$HOME; rm -rf /nothing\n' });
    const [shell] = await fullRem.handleProposals(issue, [proposal({ type: 'custom_command', params: { argv: ['echo hi'], shell: true } })], null);
    expect(shell).toMatchObject({ status: 'failed', success: false });
    expect((await actionComments(store, issue.id)).at(-1)).toBe('❌ custom_command: not run: shell commands need actions.customCommand.allowShell: true');
  });
});

describe('handing one analysis off twice', () => {
  it('takes its decisions once: the second hand-off returns them and records nothing new', async () => {
    const dir = tempDir();
    const config = configWith(dir, { permissionLevel: 'readonly' });
    const store = await openTempStore({ config });
    const { remediation, events } = build(store, config, { now: T0 });
    const issue = await openIssue(store);
    const proposals = [proposal({ type: 'restart_service', params: { service: 'api-server.service' }, reason: 'memory leak' })];
    const first = await remediation.handleProposals(issue, proposals, 42);
    const eventsAfterFirst = events.length;
    const second = await remediation.handleProposals(issue, proposals, 42);
    expect(second.map((a) => a.id)).toEqual(first.filter((a) => a.analysis_comment_id === 42).map((a) => a.id));
    expect(second).toEqual([expect.objectContaining({ action_type: 'restart_service', status: 'denied' })]);
    expect(events.length).toBe(eventsAfterFirst); // no second "Manual intervention required"
    expect(await store.actions.listForIssue(issue.id)).toHaveLength(first.length);
  });
});
