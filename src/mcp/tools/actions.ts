import { z } from 'zod';
import { checkProposals } from '../../analysis/proposal-checks.js';
import { AppError } from '../../errors.js';
import { ACTION_DESCRIPTIONS, ACTION_PARAMS, ACTION_RISK, ACTION_TYPES } from '../../model/action-catalog.js';
import { isActive } from '../../model/issue.js';
import { parseActionStatuses } from '../../model/action.js';
import { actionLine } from '../render.js';
import { clientText, errorResult, guarded, shown, textResult } from '../text.js';
import { APPENDS, issueIdArg, READ_ONLY, type ToolGroup } from './tool-group.js';

/** The catalog as the assistant needs it to propose: each type, its risk, what it does and its parameters. */
function catalogText(): string {
  return ACTION_TYPES.map((t) => `${t} (${ACTION_RISK[t]} risk; params: ${Object.keys(ACTION_PARAMS[t].shape).join(', ') || 'none'}): ${ACTION_DESCRIPTIONS[t]}`).join('\n');
}

/** Actions and approvals to read, and proposing one: never approving, rejecting or executing (a human does that). */
export const actionTools: ToolGroup = (server, { deps, author }) => {
  const { actions, issues } = deps.store;

  server.registerTool(
    'list_actions',
    {
      title: 'List actions',
      description: 'Remediation actions, newest first, with their status and the decision of the permission gate.',
      inputSchema: {
        status: z.string().max(200).regex(/^[a-z_,]+$/).optional().describe('comma list of statuses (pending_approval, approved, succeeded, failed, denied, …; pending; all)'),
        issue_id: issueIdArg.optional().describe('only this issue (id or unique prefix)'),
        limit: z.number().int().min(1).max(200).default(20),
      },
      annotations: { title: 'List actions', ...READ_ONLY },
    },
    (args) =>
      guarded(async () => {
        const statuses = parseActionStatuses(args.status);
        const issueId = args.issue_id ? await issues.resolveId(args.issue_id) : undefined;
        const list = await actions.list({ ...(statuses ? { statuses } : {}), ...(issueId ? { issueId } : {}), limit: args.limit });
        return textResult(list.length ? list.map(actionLine).join('\n') : 'no actions');
      }),
  );

  server.registerTool(
    'list_pending_approvals',
    {
      title: 'List pending approvals',
      description:
        'Actions waiting for a human decision, with when each expires. Approving or rejecting is for a human in the CLI (opsagent actions-approve), the dashboard or chat: this server has no tool for it.',
      inputSchema: { limit: z.number().int().min(1).max(200).default(50) },
      annotations: { title: 'List pending approvals', ...READ_ONLY },
    },
    (args) =>
      guarded(async () => {
        const list = await actions.list({ statuses: ['pending_approval'], limit: args.limit });
        return textResult(list.length ? list.map(actionLine).join('\n') : 'no actions wait for approval');
      }),
  );

  server.registerTool(
    'propose_action',
    {
      title: 'Propose a remediation action',
      description: [
        'Propose one action for an issue. It is checked like the analysis model\'s proposals (the catalog, then this machine: the PID and name, paths inside the cleanup roots, restartable units), written on the issue under your client\'s name, and put through the permission gate.',
        'It is never executed by this call: it becomes pending approval for a human, or is refused with the reason (and then nothing is written). Actions:',
        catalogText(),
      ].join('\n'),
      inputSchema: {
        issue_id: issueIdArg.describe('the full issue id'),
        action: z.enum(ACTION_TYPES),
        params: z.record(z.string().max(64), z.unknown()).default({}).describe('the action\'s parameters, e.g. {"pid": 4242, "name": "buggy-app"} for kill_process'),
        reason: z.string().min(1).max(2_000).describe('why this action, for the approver'),
      },
      annotations: { title: 'Propose an action (a human approves)', ...APPENDS },
    },
    (args) =>
      guarded(async () => {
        const issue = await issues.get(args.issue_id);
        if (!issue) throw new AppError('NOT_FOUND', `no issue with id "${args.issue_id}" (proposals take the full id)`);
        if (!isActive(issue)) return errorResult(`refused: issue ${issue.id} is ${issue.status}; nothing to remediate. Nothing was written.`);
        const reason = clientText(args.reason, 2_000);
        const { valid, rejected } = await checkProposals([{ type: args.action, params: args.params, reason }], {
          ...deps.proposalPolicy,
          local: issue.server_id === deps.store.serverId,
        });
        const proposal = valid[0];
        if (!proposal) {
          return errorResult(`refused: ${args.action}: ${shown(rejected[0]?.reason ?? 'not a valid proposal')}. Nothing was written.`);
        }
        deps.writes.take();
        const a = await deps.remediation.proposeForApproval(issue.id, proposal, author());
        return textResult(`pending approval: a human approves or rejects it (opsagent actions-approve ${a.id} --by <name>, the dashboard, or chat)\n${actionLine(a)}`);
      }),
  );
};
