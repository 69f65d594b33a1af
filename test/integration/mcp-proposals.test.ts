import { describe, expect, it } from 'vitest';
import { canExecuteAction } from '../../src/actions/permission-gate.js';
import { defaultConfig } from '../../src/config/load.js';
import { AppError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { ACTION_TYPES, validateProposal, type ActionType } from '../../src/model/action-catalog.js';
import type { PermissionLevel } from '../../src/model/permission.js';
import { Remediation } from '../../src/pipeline/remediation.js';
import { openTempStore, tempDir } from '../helpers/temp-store.js';

/** Valid parameters for each action type (the gate and the cap do not look at the machine: the MCP tool does first). */
const PARAMS: Record<ActionType, Record<string, unknown>> = {
  notify_human: { message: 'look' },
  clear_cache: {},
  log_analysis: { minutes: 5 },
  cleanup_disk: { path: '/tmp/x' },
  kill_process: { pid: 999_999, name: 'nobody' },
  restart_service: { service: 'nginx' },
  custom_command: { argv: ['true'] },
};

const MODES: [PermissionLevel, boolean][] = [['readonly', false], ['readonly', true], ['limited', false], ['limited', true], ['full', false], ['full', true]];

describe('an outside proposal (Remediation.proposeForApproval), in every permission mode', () => {
  it.each(MODES)('%s with autoRemediate %s: every catalog action waits for approval or is refused with nothing written; none runs', async (level, autoRemediate) => {
    const dir = tempDir();
    const config = defaultConfig({
      opsagent: { serverId: 'test-server', permissionLevel: level, autoRemediate },
      analysis: { enabled: false },
      actions: { clearCache: { command: ['true'] }, cleanupDisk: { roots: [dir] }, killProcess: { allowedPids: [999_999] }, scanIntervalSeconds: 1 },
    });
    const store = await openTempStore({ config });
    // The daemon's remediation: it executes approved actions in this process, so a wrongly approved row would run.
    const remediation = new Remediation({ ...store, config, logger: silentLogger(), executeApproved: true });
    const [r] = await store.tracker.ingest([{ server_id: 'test-server', name: 'cpu', context: 'c', chart: 'c', status: 'CRITICAL', source: 'opsagent', occurred_at: Date.now() }]);
    const issueId = r!.issue_id!;
    for (const type of ACTION_TYPES) {
      const check = validateProposal({ type, params: PARAMS[type], reason: 'assistant' });
      if (!check.ok) throw new Error(check.reason);
      const commentsBefore = (await store.issues.comments(issueId)).length;
      const gate = canExecuteAction({ level, autoRemediate }, type, check.proposal.risk, 0);
      const refused = !gate.allowed && !gate.requiresApproval;
      const outcome = await remediation.proposeForApproval(issueId, check.proposal, 'mcp:test').then(
        (a) => a.status,
        (err: unknown) => (err instanceof AppError ? err.code : String(err)),
      );
      expect({ type, outcome }).toEqual({ type, outcome: refused ? 'ACTION_DENIED' : 'pending_approval' });
      expect((await store.issues.comments(issueId)).length - commentsBefore).toBe(refused ? 0 : 2); // proposed by + approval requested
    }
    await remediation.scan(); // expiry, verification, approved actions: nothing of these is due, nothing runs
    const rows = await store.actions.list({ limit: 100 });
    expect(rows.every((a) => a.status === 'pending_approval' && a.executed_at === null && a.decided_by === null)).toBe(true);
    expect(rows.map((a) => a.action_type).sort()).toEqual(
      ACTION_TYPES.filter((t) => level !== 'readonly' || t === 'notify_human').filter((t) => level === 'full' || t !== 'custom_command').sort(),
    );
  });
});
