import { chartEvidence, LOOK_AT_LOGS, notifyHuman } from './evidence.js';
import type { AlarmRule } from './rule.js';

/** Alarms no rule knows: the recent errors, a log look and a person told. */
export const fallback: AlarmRule = {
  id: 'fallback',
  needs: [],
  analyse: (ctx) => {
    const logs = ctx.logs?.ok ? ctx.logs.data : undefined;
    const evidence = [...chartEvidence(ctx)];
    if (logs?.lines.length) evidence.push(`${logs.lines.length} recent error lines in ${logs.source}; latest: ${logs.lines[logs.lines.length - 1]!.slice(0, 200)}`);
    return {
      summary: `Alert ${ctx.alert.name} (${ctx.alert.context || 'no context'}) has no automatic remediation rule`,
      likelyCause: logs?.lines.length ? 'See the recent error lines in the logs' : 'Unknown: no rule matches this alert and no recent errors were found',
      evidence,
      confidence: 'low',
      proposals: [
        { ...LOOK_AT_LOGS, reason: 'collect the errors around the alert' },
        notifyHuman(ctx, 'needs a look: no automatic remediation applies', 'no rule for this alert family'),
      ],
    };
  },
};
