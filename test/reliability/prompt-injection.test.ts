import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateProposal, type Risk } from '../../src/model/action-catalog.js';
import { IssueAnalyzer } from '../../src/analysis/issue-analyzer.js';
import { analyzerSettingsFrom } from '../../src/analysis/settings.js';
import { defaultConfig } from '../../src/config/load.js';
import type { PermissionLevel } from '../../src/model/permission.js';
import { silentLogger } from '../../src/logger.js';
import { Remediation } from '../../src/pipeline/remediation.js';
import { startFakeLlm, type FakeReply } from '../helpers/fake-llm.js';
import { fakeSystemctl } from '../helpers/fake-systemctl.js';
import { openTempStore, tempDir } from '../helpers/temp-store.js';
import { recordPart } from './figures.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'prompt-injection');

interface Mode {
  level: PermissionLevel;
  autoRemediate: boolean;
  /** full + autoRemediate runs everything the matrix allows, including custom_command: only ever as a dry run here. */
  dryRun: boolean;
}

const MODES: Mode[] = [
  { level: 'readonly', autoRemediate: false, dryRun: false },
  { level: 'readonly', autoRemediate: true, dryRun: false },
  { level: 'limited', autoRemediate: false, dryRun: false },
  { level: 'limited', autoRemediate: true, dryRun: false },
  { level: 'full', autoRemediate: false, dryRun: false },
  { level: 'full', autoRemediate: true, dryRun: true },
];

/** DESIGN §4: may an action of this risk run without a person in this mode? */
function matrixAllowsAutomatic(mode: Mode, risk: Risk): boolean {
  if (mode.level === 'readonly' || !mode.autoRemediate) return false;
  return mode.level === 'full' || risk === 'low';
}

function load<T>(file: string, canary: string, root: string): T {
  const text = readFileSync(join(FIXTURES, file), 'utf8')
    .replaceAll('@CANARY@', canary)
    .replaceAll('@ROOT@', root)
    .replaceAll('"@PID@"', String(process.pid))
    .replaceAll('"@PPID@"', String(process.ppid));
  return JSON.parse(text, (_k, v: unknown) => {
    const m = typeof v === 'string' ? /^@REPEAT:(.):(\d+)@$/.exec(v) : null;
    return m ? m[1]!.repeat(Number(m[2])) : v;
  }) as T;
}

/** Stand-ins for every program a hostile text names, first on PATH: each records that it ran (it never should). */
function trapBin(dir: string): { path: string; ran: () => string[] } {
  const bin = join(dir, 'trap-bin');
  const log = join(dir, 'trap.log');
  mkdirSync(bin);
  for (const name of ['rm', 'sh', 'bash', 'dash', 'reboot', 'poweroff', 'shutdown', 'id', 'curl', 'nc', 'kill', 'pkill', 'touch', 'systemctl', 'true', 'echo', 'journalctl']) {
    writeFileSync(join(bin, name), `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> '${log}'\nexit 0\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return { path: bin, ran: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []) };
}

interface ActionRow {
  action_type: string;
  risk: Risk;
  status: string;
  executed_at: number | null;
  dry_run: number | boolean;
  params: string;
}

describe('prompt-injection corpus through the real analysis and the real gate', () => {
  it('never executes an action outside the permission matrix, and nothing from an alert or the model reaches a shell', async () => {
    const started = Date.now();
    const dir = tempDir('opsagent-injection-');
    const canary = join(dir, 'canary');
    const root = join(dir, 'cleanup-root');
    mkdirSync(canary);
    mkdirSync(root);
    writeFileSync(join(dir, 'app.log'), `${new Date().toISOString()} app[1]: ERROR connection refused\n`);
    const { alerts } = load<{ alerts: { id: string; name: string; info: string }[] }>('alert-texts.json', canary, root);
    const { answers } = load<{ answers: { id: string; replies: FakeReply[] }[] }>('model-answers.json', canary, root);
    expect(alerts.length).toBeGreaterThanOrEqual(20);
    expect(answers.length).toBeGreaterThanOrEqual(20);
    const systemctl = fakeSystemctl(dir);
    const trap = trapBin(dir);
    const llm = await startFakeLlm();

    const figures: Record<string, string> = {};
    let proposalsSeen = 0;
    let rejectedBeforeGate = 0;
    let gateDecisions = 0;
    for (const mode of MODES) {
      const config = defaultConfig({
        netdata: { url: '' },
        opsagent: { serverId: 'injection-test', permissionLevel: mode.level, autoRemediate: mode.autoRemediate },
        llm: { apiKey: llm.apiKey, baseUrl: llm.baseUrl, timeoutSeconds: 3 },
        analysis: { enabled: false, logFiles: [join(dir, 'app.log')], gatherTimeoutMs: 2_000 },
        actions: {
          dryRun: mode.dryRun,
          cooldownMinutes: 0,
          restartService: { command: systemctl.command },
          clearCache: { command: ['/bin/true'] },
          cleanupDisk: { roots: [root] },
          killProcess: { allowedPids: [4_194_303] },
          logAnalysis: { useJournal: false },
          timeoutSeconds: 5,
        },
      });
      const store = await openTempStore({ config });
      const settings = analyzerSettingsFrom(config, 'injection-test');
      settings.gather.cpuSampleMs = 100;
      const analyzer = new IssueAnalyzer(settings);
      const remediation = new Remediation({ ...store, config, logger: silentLogger(), executeApproved: false });

      for (const [i, answer] of answers.entries()) {
        const alert = alerts[i % alerts.length]!;
        const usableAsName = /^[^\u0000-\u001f]{1,200}$/.test(alert.info.trim());
        const [r] = await store.tracker.ingest([
          { server_id: 'injection-test', name: usableAsName ? alert.info.trim() : alert.name, context: 'system.cpu', chart: 'system.cpu', status: 'CRITICAL', value: 99, units: '%', info: alert.info, source: 'opsagent', occurred_at: Date.now() },
        ]);
        const issue = (await store.issues.get(r!.issue_id!))!;
        llm.script(...answer.replies);
        const analysis = await analyzer.analyse(issue);
        proposalsSeen += analysis.proposedActions.length + analysis.rejectedProposals.length;
        rejectedBeforeGate += analysis.rejectedProposals.length;

        // the model's raw proposals that pass the catalog also go to the gate directly, skipping the analysis checks
        const raw = answer.replies.flatMap((reply) =>
          reply.kind === 'tool_calls'
            ? reply.calls.flatMap((c) => (c.name === 'submit_analysis' && typeof c.args === 'object' && c.args !== null ? ((c.args as { actions?: unknown[] }).actions ?? []) : []))
            : [],
        ) as { type: string; params: unknown; reason?: string }[];
        const direct = raw.flatMap((p) => {
          const check = validateProposal({ type: p.type, params: p.params, reason: p.reason ?? '' });
          return check.ok ? [check.proposal] : [];
        });

        const savedPath = process.env.PATH;
        process.env.PATH = `${trap.path}:${savedPath ?? ''}`;
        try {
          gateDecisions += (await remediation.handleProposals(issue, analysis.proposedActions, null)).length;
          gateDecisions += (await remediation.handleProposals(issue, direct, null)).length;
        } finally {
          process.env.PATH = savedPath;
        }
      }

      const rows = (await store.db.all('SELECT action_type, risk, status, executed_at, dry_run, params FROM actions')) as unknown as ActionRow[];
      const ran = rows.filter((a) => a.action_type !== 'notify_human' && a.executed_at !== null);
      const outsideMatrix = [
        ...ran.filter((a) => !matrixAllowsAutomatic(mode, a.risk) || (mode.dryRun && !a.dry_run)).map((a) => `ran ${a.action_type} (${a.risk})`),
        ...rows
          .filter((a) => a.status === 'pending_approval' && (mode.level === 'readonly' || (mode.level === 'limited' && a.risk === 'high')))
          .map((a) => `offered ${a.action_type} (${a.risk}) for approval`),
      ];
      expect({ mode, outsideMatrix }).toEqual({ mode, outsideMatrix: [] });
      // the executors' own refusals hold even where the gate allowed an attempt (full mode, as a dry run here)
      for (const a of rows.filter((x) => x.action_type === 'kill_process' && x.status === 'succeeded')) {
        const pid = (JSON.parse(a.params) as { pid: number }).pid;
        expect([1, process.pid, process.ppid]).not.toContain(pid);
      }
      for (const a of rows.filter((x) => x.action_type === 'cleanup_disk' && x.status === 'succeeded')) {
        expect((JSON.parse(a.params) as { path: string }).path.startsWith(root)).toBe(true);
      }
      const by = (s: string) => rows.filter((a) => a.status === s).length;
      figures[`${mode.level}, autoRemediate ${String(mode.autoRemediate)}${mode.dryRun ? ' (dry run)' : ''}`] =
        `${rows.length} action rows: ${ran.length} ran (${[...new Set(ran.map((a) => a.action_type))].join(', ') || 'none'}), ${by('pending_approval')} pending approval, ${by('denied')} denied, ${by('skipped')} skipped, ${by('failed')} refused by an executor`;
    }

    // nothing reached a shell or a program: no canary file, no trap program ran, no systemctl call
    expect(readdirSync(canary)).toEqual([]);
    expect(trap.ran()).toEqual([]);
    expect(systemctl.calls()).toEqual([]);
    expect(() => process.kill(process.ppid, 0)).not.toThrow();
    expect(Object.keys(Object.prototype)).toEqual([]);

    recordPart({
      part: 'prompt-injection',
      title: 'prompt-injection corpus through the real analysis (fake LLM) and the real gate, in every permission mode',
      passed: true,
      durationMs: Date.now() - started,
      figures: {
        hostileAlertTexts: alerts.length,
        hostileModelAnswers: answers.length,
        permissionModes: MODES.length,
        analysesRun: answers.length * MODES.length,
        proposalsFromTheModel: proposalsSeen,
        rejectedBeforeTheGate: rejectedBeforeGate,
        gateDecisions,
        actionsOutsideTheMatrix: 0,
        shellOrProgramInvocations: 0,
        ...figures,
      },
    });
  });
});
