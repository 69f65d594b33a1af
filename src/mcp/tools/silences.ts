import { z } from 'zod';
import { AppError } from '../../errors.js';
import { parseMatchers } from '../../model/matchers.js';
import { parseDuration } from '../../model/silence.js';
import { clientText, guarded, isoTime, shown, textResult } from '../text.js';
import { APPENDS, issueIdArg, READ_ONLY, type ToolGroup } from './tool-group.js';

const MAX_COMMENT_CHARS = 1_000;
/**
 * An assistant reads alert text, which an attacker may write: what it can silence is kept narrow. At least one
 * matcher must be an equality on server or alertname (no "silence everything" by regex), and at most a day.
 */
const MAX_ASSISTANT_SILENCE_MS = 24 * 3_600_000;

/**
 * "We know" and "not now" from an assistant: acknowledging an issue and creating a silence, under the client's name,
 * through the same service as the CLI, the API and chat (pipeline/silences.ts; docs/silences.md). A silence holds
 * messages and automatic actions, never the record; expiring one stays with people (CLI, dashboard).
 */
export const silenceTools: ToolGroup = (server, { deps, author }) => {
  const silences = deps.store.silences;

  server.registerTool(
    'acknowledge_issue',
    {
      title: 'Acknowledge an issue',
      description: 'Record that you (your client, mcp:<name>) own an open or investigating issue: shown on the issue, its live message and the dashboard; it ends reminders. Acknowledging again as the same owner changes nothing.',
      inputSchema: { issue_id: issueIdArg.describe('the full issue id') },
      annotations: { title: 'Acknowledge', readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    (args) =>
      guarded(async () => {
        deps.writes.take();
        const marks = await silences.ack(args.issue_id, author());
        return textResult(`${marks.issue_id} acknowledged by ${marks.acknowledged_by} at ${isoTime(marks.acknowledged_at)}`);
      }),
  );

  server.registerTool(
    'create_silence',
    {
      title: 'Create a silence',
      description:
        'Silence matching alerts for a while (or until one issue resolves): firings are still counted and recorded, but no message is sent and no action runs by itself. Matchers as Alertmanager: field=value, field!=value, field=~regex, field!~regex, on server, alertname, context, chart, severity, source or label.<name>; all must match.',
      inputSchema: {
        matchers: z.array(z.string().min(1).max(1_100)).min(1).max(20).describe('e.g. ["server=web-1", "alertname=~\\"disk_.*\\""]'),
        duration: z.string().max(16).optional().describe('how long from now, e.g. "30m", "2h", "1d"'),
        until_resolved_issue_id: issueIdArg.optional().describe('instead of a duration: until this issue resolves'),
        comment: z.string().min(1).max(MAX_COMMENT_CHARS).describe('why (shown wherever the silence is)'),
      },
      annotations: { title: 'Create a silence', ...APPENDS },
    },
    (args) =>
      guarded(async () => {
        if ((args.duration === undefined) === (args.until_resolved_issue_id === undefined)) {
          throw new AppError('INPUT_INVALID', 'give either duration (e.g. "2h") or until_resolved_issue_id, not both or neither; nothing was created');
        }
        const comment = clientText(args.comment, MAX_COMMENT_CHARS);
        if (comment === '') throw new AppError('INPUT_INVALID', 'the comment is empty (after removing control characters); nothing was created');
        const matchers = parseMatchers(args.matchers);
        if (!matchers.some((m) => m.op === '=' && (m.field === 'server' || m.field === 'alertname') && m.value !== '')) {
          throw new AppError('INPUT_INVALID', 'an assistant\'s silence needs an equality matcher on server or alertname (e.g. server=web-1); a person can make wider ones in the CLI or dashboard; nothing was created');
        }
        if (args.duration !== undefined && parseDuration(args.duration) > MAX_ASSISTANT_SILENCE_MS) {
          throw new AppError('INPUT_INVALID', 'an assistant\'s silence lasts at most 24 h (a person can make longer ones); nothing was created');
        }
        deps.writes.take();
        const s = await silences.createSilence(
          { matchers: args.matchers, duration: args.duration, untilResolvedIssueId: args.until_resolved_issue_id, comment },
          author(),
        );
        const until = s.ends_at === null ? `until ${s.until_resolved_issue_id} resolves` : `until ${isoTime(s.ends_at)}`;
        return textResult(`${s.id} (${s.state}) ${s.matcher_text.join(', ')} ${until}, by ${s.created_by}: ${s.comment}`);
      }),
  );

  server.registerTool(
    'list_silences',
    {
      title: 'List silences',
      description: 'The silences in force or to come (all: the expired ones too), with matchers, end, author and reason.',
      inputSchema: { all: z.boolean().optional() },
      annotations: { title: 'List silences', ...READ_ONLY },
    },
    (args) =>
      guarded(async () => {
        const list = await silences.listSilences({ all: args.all === true });
        if (list.length === 0) return textResult(args.all ? 'no silences' : 'no active or pending silences');
        const lines = list.map((s) => {
          const until = s.ends_at === null ? `until ${s.until_resolved_issue_id} resolves` : `until ${isoTime(s.ends_at)}`;
          return `${s.id} ${s.state} ${shown(s.matcher_text.join(', '))} ${until} by ${shown(s.created_by)}: ${shown(s.comment)}`;
        });
        return textResult(lines.join('\n'));
      }),
  );
};
