import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from '../helpers/fake-discord.js';
import { NETDATA_MISSING, netdataBinary, startNetdata, type TestNetdata } from '../helpers/netdata.js';
import { scenarioConfig, startScenarioDaemon, waitFor, type IssueDetailView, type ScenarioDaemon } from '../helpers/scenario-daemon.js';
import { applicationKeys, embedsOf, signedButtonClick } from '../helpers/scenario-discord.js';
import { cpuPercentSampler, directoryBytes, rssMiB, spawnNamed, startCpuBurner, startGaugePusher, startMemoryHog, writeFiles } from '../helpers/scenario-processes.js';
import { requirePeerForAll, skipWithout } from '../helpers/peers.js';

/**
 * The seed's three scenarios (docs/scenarios.md), each against an isolated real Netdata, the daemon started as a user
 * starts it (`node dist/src/cli.js run --config <file>`), the local analyser, the fake Discord, real child processes
 * and real files; observed only through the HTTP API, the CLI and what the fake Discord received.
 */

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'scenarios');
const HEALTH = join(FIXTURES, 'scenarios-health.conf');
/** Generous but bounded: every phase (alarm raised, issue analysed, action run, alarm cleared) on a loaded 2-core box. */
const PHASE_MS = 30_000;
const MIB = 1024 * 1024;
const ALICE = '1000000000000000042';

const hasNetdata = netdataBinary() !== undefined;
if (!hasNetdata) console.warn(NETDATA_MISSING);

/** "comment_type|author_type|first line", oldest first. */
function timeline(issue: IssueDetailView): string[] {
  return issue.comments.map((c) => `${c.comment_type}|${c.author_type}|${c.content.split('\n')[0]}`);
}

/** Each line must match its pattern, in order, and nothing else may be there. */
function expectTimeline(issue: IssueDetailView, expected: (string | RegExp)[]): void {
  const actual = timeline(issue);
  const ok = actual.length === expected.length && expected.every((e, i) => (typeof e === 'string' ? actual[i] === e : e.test(actual[i]!)));
  if (!ok) expect.fail(`timeline of ${issue.id} differs.\nactual:\n  ${actual.join('\n  ')}\nexpected:\n  ${expected.map(String).join('\n  ')}`);
}

/** Waits until the fake Discord has received `n` embeds and no more arrive for `quietMs`. */
async function settledEmbeds(discord: FakeDiscord, n: number, quietMs = 1_500) {
  await waitFor(`${n} Discord embeds (got ${embedsOf(discord).length})`, () => embedsOf(discord).length >= n, PHASE_MS);
  await new Promise((r) => setTimeout(r, quietMs));
  return embedsOf(discord);
}

async function issueTitled(daemon: ScenarioDaemon, title: string) {
  return waitFor(`an issue ${title}`, async () => (await daemon.issues()).find((i) => i.title === title), PHASE_MS);
}

async function resolvedAndVerified(daemon: ScenarioDaemon, issueId: string): Promise<IssueDetailView> {
  return waitFor(
    'the issue to be resolved and the action verified',
    async () => {
      const d = await daemon.issue(issueId);
      return d.status === 'resolved' && d.comments.some((c) => c.content.startsWith('Verified:')) ? d : undefined;
    },
    PHASE_MS,
  );
}

async function cpuScenario(approveVia: 'cli' | 'discord-button'): Promise<IssueDetailView> {
  const nd = await startNetdata({ env: { EXTRA_HEALTH: HEALTH } });
  const discord = await startFakeDiscord();
  const keys = applicationKeys();
  const burner = await startCpuBurner();
  // The real CPU of the real process, measured every second and pushed to Netdata (0 once it is gone).
  startGaugePusher((v) => nd.push('opsagent_scenario.buggy_app_cpu', v), cpuPercentSampler(burner.pid));
  const bot = {
    token: discord.botToken,
    applicationPublicKey: keys.publicKeyHex,
    channelId: discord.channelId,
    approverIds: [ALICE],
    apiBaseUrl: discord.apiBaseUrl,
  };
  const daemon = await startScenarioDaemon(
    scenarioConfig({
      netdataUrl: nd.url,
      webhookUrl: discord.webhookUrl,
      permissionLevel: 'limited',
      // The daemon is another process: only this test's own child may ever be signalled.
      actions: { killProcess: { graceMs: 2_000, allowedPids: [burner.pid], allowedNames: ['buggy-app'] } },
      ...(approveVia === 'discord-button' ? { discord: { bot } } : {}),
    }),
  );

  // buggy-app burns a core, the alarm fires, the poller picks it up.
  await nd.waitForAlarm('buggy_app_cpu_usage', 'WARNING', PHASE_MS);
  const issue = await issueTitled(daemon, 'buggy_app_cpu_usage');
  const pending = await waitFor('the kill_process awaiting approval', async () => (await daemon.actions(issue.id)).find((a) => a.status === 'pending_approval'), PHASE_MS);
  expect(pending).toMatchObject({ action_type: 'kill_process', risk: 'medium', params: { pid: burner.pid, name: 'buggy-app', signal: 'SIGTERM' } });
  expect(burner.alive()).toBe(true); // medium risk in limited mode: nothing runs before a human says so

  const [approval] = await settledEmbeds(discord, 1, 200);
  expect(approval!.title).toBe('⚠️ Action requires approval: kill_process');
  expect(approval!.description).toContain(`pid=${burner.pid} name=buggy-app`);

  let approver: string;
  if (approveVia === 'cli') {
    expect(approval!.via).toBe('webhook');
    expect(approval!.description).toContain(`opsagent actions-approve ${pending.id} --by <name>`);
    const res = await daemon.cli(['actions-approve', pending.id, '--by', 'alice', '--wait', '20']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`${pending.id}  [succeeded] kill_process`);
    approver = 'alice';
  } else {
    expect(approval!.via).toBe('bot');
    expect(approval!.components).toContain(`"custom_id":"approve:${pending.id}"`);
    const click = signedButtonClick(keys, {
      customId: `approve:${pending.id}`,
      userId: ALICE,
      username: 'alice',
      channelId: discord.channelId,
      interactionId: '1300000000000000001',
    });
    const res = await daemon.post('/api/v1/discord/interactions', click.body, click.headers);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ type: 7, data: { components: [] } });
    expect((res.body as { data: { content: string } }).data.content).toContain(`Approved by <@${ALICE}>`);
    // a forged click (someone else's key) is refused and decides nothing
    const forged = signedButtonClick(applicationKeys(), { customId: `approve:${pending.id}`, userId: ALICE, username: 'alice', channelId: discord.channelId, interactionId: '1300000000000000002' });
    expect((await daemon.post('/api/v1/discord/interactions', forged.body, forged.headers)).status).toBe(401);
    approver = 'discord:alice';
  }

  expect(await Promise.race([burner.exited, new Promise((r) => setTimeout(() => r('still running'), PHASE_MS))])).toBe('SIGTERM');
  // CPU drops to 0, the alarm clears, the issue resolves and the kill is verified.
  const done = await resolvedAndVerified(daemon, issue.id);
  expect(done).toMatchObject({ status: 'resolved', severity: 'warning', alert_count: 1, server_id: 'scenario-host' });
  expectTimeline(done, [
    /^alert_fired\|agent\|Alert first detected: buggy_app_cpu_usage = [\d.]+%$/,
    'status_change|agent|Status changed to investigating: Agent is analysing the issue (new issue)',
    new RegExp(`^analysis\\|agent\\|Summary: High CPU from process 'buggy-app' \\(PID ${burner.pid}\\) at [\\d.]+% CPU$`),
    `action|agent|⚠️ Action requires approval: kill_process ${JSON.stringify(pending.params)}`,
    `action|human|👍 Action approved by ${approver}: kill_process`,
    'action|agent|✅ kill_process: Process buggy-app killed',
    'status_change|agent|Status changed to resolved: Alert condition cleared',
    'action|agent|Verified: alert cleared 0 min after kill_process',
  ]);
  const analysis = done.comments.find((c) => c.comment_type === 'analysis')!;
  expect(analysis.content).toContain('Analyzer: local rules');
  expect(analysis.metadata).toMatchObject({ analyzer: 'local', proposedActions: [{ type: 'kill_process', params: { pid: burner.pid, name: 'buggy-app' } }] });

  const actions = await daemon.actions(issue.id);
  expect(actions).toHaveLength(1);
  expect(actions[0]).toMatchObject({ id: pending.id, status: 'succeeded', success: true, decided_by: approver, verification: 'verified' });

  // The approval request is a new message; the issue's live card (posted with the first result) is edited to its
  // final state: resolved, with the action, who approved it and its verification.
  const summary = `kill_process pid=${burner.pid} name=buggy-app startTime=${String(pending.params.startTime)} signal=SIGTERM`;
  await waitFor('the card to show the verification', () => embedsOf(discord).some((e) => e.fields.Actions?.startsWith('✅ verified')), PHASE_MS);
  const embeds = await settledEmbeds(discord, 2);
  expect(embeds.map((e) => e.title)).toEqual(['⚠️ Action requires approval: kill_process', '✅ Resolved: buggy_app_cpu_usage on scenario-host']);
  expect(embeds[1]!.fields).toMatchObject({ Status: 'resolved', Actions: `✅ verified: ${summary} · approved by ${approver}` });
  expect(embeds[1]!.via).toBe('webhook');
  expect(await daemon.stop()).toBe(0);
  return done;
}

describe.skipIf(skipWithout(hasNetdata))('the seed scenarios, end to end', () => {
  requirePeerForAll(hasNetdata, NETDATA_MISSING);
  it('1. CPU spike (limited): kill_process waits for approval, a human approves with the CLI, buggy-app is killed, the alarm clears, verified', { timeout: 120_000 }, async () => {
    expect(await cpuScenario('cli')).toMatchObject({ status: 'resolved', title: 'buggy_app_cpu_usage' });
  });

  it('1b. CPU spike (limited): the same approval through a signed Discord button click', { timeout: 120_000 }, async () => {
    expect(await cpuScenario('discord-button')).toMatchObject({ status: 'resolved', title: 'buggy_app_cpu_usage' });
  });

  it('2. Disk full (full + autoRemediate): old temp files are cleaned automatically, usage falls, the alarm clears, verified', { timeout: 120_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'opsagent-scenario-disk-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    writeFiles(root, 'cache/old', 9, MIB, 3); // 9 MiB of temp files last touched 3 days ago
    writeFiles(root, 'cache/fresh', 1, MIB, 0); // 1 MiB in use now: must survive the cleanup
    const quota = 10.5 * MIB;
    const nd = await startNetdata({ env: { EXTRA_HEALTH: HEALTH } });
    const discord = await startFakeDiscord();
    // Netdata cannot see a directory's size: the test measures the real directory every second and pushes the percent.
    const usage = () => Math.round((10_000 * directoryBytes(root)) / quota) / 100;
    startGaugePusher((v) => nd.push('opsagent_scenario.disk_space_usage', v), usage);
    const daemon = await startScenarioDaemon(
      scenarioConfig({
        netdataUrl: nd.url,
        webhookUrl: discord.webhookUrl,
        permissionLevel: 'full',
        autoRemediate: true,
        actions: { cleanupDisk: { roots: [root], olderThanDays: 1 }, killProcess: { allowedPids: [1] } },
      }),
    );

    const raised = await nd.waitForAlarm('scenario_disk_space_usage', 'CRITICAL', PHASE_MS);
    expect(raised.value).toBeCloseTo(95.24, 1);
    const issue = await issueTitled(daemon, 'scenario_disk_space_usage');
    const done = await resolvedAndVerified(daemon, issue.id);
    expect(directoryBytes(root)).toBe(MIB); // only the fresh file is left
    expect(usage()).toBeLessThan(80);

    expect(done).toMatchObject({ status: 'resolved', severity: 'critical', alert_count: 1 });
    expectTimeline(done, [
      'alert_fired|agent|Alert first detected: scenario_disk_space_usage = 95.24%',
      'status_change|agent|Status changed to investigating: Agent is analysing the issue (new issue)',
      `analysis|agent|Summary: Old files under ${root}: 9 files (9.0 MiB) older than 1 days can be removed`,
      'action|agent|✅ cleanup_disk: 9MB temp files removed',
      'status_change|agent|Status changed to resolved: Alert condition cleared',
      'action|agent|Verified: alert cleared 0 min after cleanup_disk',
    ]);
    const cleanup = done.comments.find((c) => c.content.startsWith('✅ cleanup_disk'))!;
    expect(cleanup.metadata).toMatchObject({ success: true, decided_by: 'agent', output: `9 file(s), 9MB removed under ${root} older than 1 day(s)` });

    const actions = await daemon.actions(issue.id);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ action_type: 'cleanup_disk', risk: 'low', status: 'succeeded', decided_by: 'agent', verification: 'verified', params: { path: root, olderThanDays: 1 } });

    // One live message: the critical issue's card, edited with the cleanup, its verification and the resolution.
    await waitFor('the card to show the verification', () => embedsOf(discord).some((e) => e.fields.Actions?.startsWith('✅ verified')), PHASE_MS);
    const embeds = await settledEmbeds(discord, 1);
    expect(embeds.map((e) => e.title)).toEqual(['✅ Resolved: scenario_disk_space_usage on scenario-host']);
    expect(embeds[0]!.fields).toMatchObject({ Status: 'resolved', Actions: `✅ verified: cleanup_disk path=${root} olderThanDays=1 · approved by agent` });
    expect(await daemon.stop()).toBe(0);
  });

  it('3. Memory leak (readonly): analysis names api-server, nothing is done, a human is asked, stops it and notes it; the alarm clears', { timeout: 120_000 }, async () => {
    const nd = await startNetdata({ env: { EXTRA_HEALTH: HEALTH } });
    const discord = await startFakeDiscord();
    const hog = await startMemoryHog(304);
    // The real RSS of the real process, pushed every second (0 once it exited).
    startGaugePusher((v) => nd.push('opsagent_scenario.api_server_rss', v), () => rssMiB(hog.pid));
    const daemon = await startScenarioDaemon(
      scenarioConfig({
        netdataUrl: nd.url,
        webhookUrl: discord.webhookUrl,
        permissionLevel: 'readonly',
        actions: { killProcess: { allowedPids: [hog.pid], allowedNames: ['api-server'] } },
      }),
    );

    await nd.waitForAlarm('api_server_ram_usage', 'WARNING', PHASE_MS);
    const issue = await issueTitled(daemon, 'api_server_ram_usage');
    const [manual] = await settledEmbeds(discord, 1);
    expect(manual!.title).toBe('🤖 Analysis: api_server_ram_usage on scenario-host');
    expect(manual!.description).toMatch(
      new RegExp(`^🤖 Analysis: Memory pressure from process 'api-server' \\(PID ${hog.pid}\\) holding \\d+\\.\\d MiB Manual intervention required\\.$`),
    );
    // readonly: nothing executed, nothing waiting for approval — only the denied proposal and the note to a human
    const actions = await daemon.actions(issue.id);
    expect(actions.filter((a) => a.action_type !== 'notify_human').map((a) => [a.action_type, a.status])).toEqual([['kill_process', 'denied']]);
    expect(actions.filter((a) => a.action_type === 'notify_human')).toHaveLength(1);
    expect(hog.alive()).toBe(true);

    // The human: stops the process and says so on the issue.
    hog.child.kill('SIGTERM');
    expect(await hog.exited).toBe('SIGTERM');
    const noted = await daemon.cli(['issues-comment', issue.id, 'Human restarted api-server', '--author', 'alice']);
    expect(noted).toMatchObject({ code: 0, stdout: `noted on ${issue.id}\n` });

    const done = await waitFor('the issue to resolve', async () => {
      const d = await daemon.issue(issue.id);
      return d.status === 'resolved' ? d : undefined;
    }, PHASE_MS).catch(async (err: unknown) => {
      throw new Error(`${String(err)}\nalarm: ${JSON.stringify((await nd.alarms()).api_server_ram_usage)}\ntimeline:\n  ${timeline(await daemon.issue(issue.id)).join('\n  ')}`);
    });
    const note = 'note|human|Human restarted api-server';
    // the note and the clear race (both follow the kill): the note is checked on its own, after the manual step
    expect(timeline(done).indexOf(note)).toBeGreaterThan(timeline(done).findIndex((l) => l.includes('Manual intervention required')));
    expectTimeline({ ...done, comments: done.comments.filter((c) => c.comment_type !== 'note') }, [
      /^alert_fired\|agent\|Alert first detected: api_server_ram_usage = 3\d\d(\.\d+)? MiB$/,
      'status_change|agent|Status changed to investigating: Agent is analysing the issue (new issue)',
      new RegExp(`^analysis\\|agent\\|Summary: Memory pressure from process 'api-server' \\(PID ${hog.pid}\\) holding \\d+\\.\\d MiB$`),
      new RegExp(`^action\\|agent\\|🚫 Action denied: kill_process \\{"pid":${hog.pid},"name":"api-server".*: Readonly mode: no actions allowed$`),
      new RegExp(`^action\\|agent\\|🤖 Manual intervention required on api_server_ram_usage \\(scenario-host\\): readonly mode, the agent takes no actions\\. Proposed: kill_process`),
      'status_change|agent|Status changed to resolved: Alert condition cleared',
    ]);
    expect(done.comments.find((c) => c.comment_type === 'note')).toMatchObject({ author_name: 'alice', content: 'Human restarted api-server' });
    expect((await daemon.actions(issue.id)).filter((a) => a.action_type !== 'notify_human').every((a) => a.status === 'denied')).toBe(true);

    const embeds = await settledEmbeds(discord, 2);
    expect(embeds.map((e) => e.title)).toEqual(['🤖 Analysis: api_server_ram_usage on scenario-host', '✅ Resolved: api_server_ram_usage on scenario-host']);
    expect(await daemon.stop()).toBe(0);
  });

  it('the same alert firing every ~2 s stays one issue with the exact count and no extra notification; two alarms make two issues', { timeout: 120_000 }, async () => {
    const nd = await startNetdata();
    const discord = await startFakeDiscord();
    const idle = await spawnNamed('idle-helper', `console.log('ready');\nsetInterval(() => undefined, 1000);`);
    const daemon = await startScenarioDaemon(
      scenarioConfig({
        netdataUrl: nd.url,
        webhookUrl: discord.webhookUrl,
        permissionLevel: 'limited',
        // the CPU rules look for a busy process: only this idle child may be considered, so none is proposed
        actions: { killProcess: { allowedPids: [idle.pid] } },
      }),
    );
    await settleFirstFiring(nd, daemon);
    const cpu = await issueTitled(daemon, 'opsagent_test_cpu_usage');
    await nd.raise('opsagent_test.disk_usage', 'opsagent_test_disk_usage', 95, 'CRITICAL', PHASE_MS);
    const disk = await issueTitled(daemon, 'opsagent_test_disk_usage');
    // Both issues analysed and their follow-ups sent: per issue its live card ("new critical", which also carries the
    // analysis note) and the log_analysis approval.
    await waitFor('both analyses', async () => {
      const [a, b] = await Promise.all([daemon.issue(cpu.id), daemon.issue(disk.id)]);
      return [a, b].every((d) => d.comments.some((c) => c.comment_type === 'analysis') && d.actions.length === 2);
    }, PHASE_MS);
    const before = await settledEmbeds(discord, 4);

    // Repeated firings: CRITICAL ↔ WARNING, each held until Netdata reports it, then ~1 s more.
    const repeats = 11;
    for (let i = 0; i < repeats; i++) {
      await nd.raise('opsagent_test.cpu_usage', 'opsagent_test_cpu_usage', i % 2 === 0 ? 85 : 95, i % 2 === 0 ? 'WARNING' : 'CRITICAL', PHASE_MS);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    // The expected count, from Netdata's own log: every WARNING/CRITICAL transition of the alarm.
    const log = (await (await fetch(`${nd.url}/api/v1/alarm_log`)).json()) as { name: string; status: string }[];
    const firings = log.filter((e) => e.name === 'opsagent_test_cpu_usage' && (e.status === 'WARNING' || e.status === 'CRITICAL')).length;
    expect(firings).toBe(repeats + 1);
    const repeated = await waitFor(`alert_count ${firings}`, async () => {
      const d = await daemon.issue(cpu.id);
      return d.alert_count === firings ? d : undefined;
    }, PHASE_MS);

    const issues = await daemon.issues();
    expect(issues.map((i) => i.title).sort()).toEqual(['opsagent_test_cpu_usage', 'opsagent_test_disk_usage']);
    expect(new Set(issues.map((i) => i.alert_fingerprint)).size).toBe(2);
    expect(repeated).toMatchObject({ status: 'investigating', severity: 'critical', alert_count: repeats + 1 });
    expect((await daemon.issue(disk.id)).alert_count).toBe(1);
    const firedAgain = repeated.comments.filter((c) => c.content.startsWith('Alert fired again'));
    expect(firedAgain.map((c) => /#(\d+)/.exec(c.content)?.[1])).toEqual(Array.from({ length: repeats }, (_, i) => String(i + 2)));
    expect(repeated.comments.filter((c) => c.comment_type === 'analysis')).toHaveLength(1); // firings never re-analyse

    await new Promise((r) => setTimeout(r, 2_000)); // well past the sender's linger
    const after = embedsOf(discord);
    expect(after).toHaveLength(before.length);
    expect(before.filter((e) => e.title.startsWith('🔴 New critical issue')).map((e) => e.title).sort()).toEqual([
      '🔴 New critical issue: opsagent_test_cpu_usage on scenario-host',
      '🔴 New critical issue: opsagent_test_disk_usage on scenario-host',
    ]);
    expect(await daemon.stop()).toBe(0);
  });
});

/** The first firing of the repeated alert: CRITICAL, and the daemon's issue for it exists. */
async function settleFirstFiring(nd: TestNetdata, daemon: ScenarioDaemon): Promise<void> {
  await nd.raise('opsagent_test.cpu_usage', 'opsagent_test_cpu_usage', 95, 'CRITICAL', PHASE_MS);
  await issueTitled(daemon, 'opsagent_test_cpu_usage');
}

