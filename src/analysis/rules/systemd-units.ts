import { checkRestartableUnit } from '../../model/service-units.js';
import type { AnalysisContext, DraftAnalysis } from '../types.js';
import { chartEvidence, notifyHuman, notifyOnly } from './evidence.js';
import type { AlarmRule } from './rule.js';

const UNIT_TYPES = 'service|socket|target|path|device|mount|automount|swap|timer|scope|slice';
/** go.d systemdunits (Netdata 1.37): chart `systemdunits_<job>.unit_<name>_<type>_state`, context `systemd.<type>_unit_state`. */
const UNIT_CHART = new RegExp(`(?:^|\\.)unit_(.+)_(${UNIT_TYPES})_state$`);

/** The unit an alarm of the systemd units collector is about (nginx.service), from its chart id. */
export function unitFromChart(chart: string): string | undefined {
  const m = UNIT_CHART.exec(chart);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

export function unitOfAlert(alert: AnalysisContext['alert']): string | undefined {
  return unitFromChart(alert.chart) ?? unitFromChart(alert.context);
}

function unitEvidence(ctx: AnalysisContext): string[] {
  const u = ctx.unit;
  if (!u) return [];
  if (!u.ok) return [`systemctl could not tell the unit's state: ${u.error}`];
  const s = u.data;
  return [
    `systemd: ${s.unit} is ${s.loadState}, ${s.activeState} (${s.subState}), result ${s.result}${s.execMainStatus !== null ? `, exit status ${s.execMainStatus}` : ''}${s.nRestarts !== null ? `, restarted ${s.nRestarts} times` : ''}`,
    ...s.lines.slice(-5).map((l) => `journal: ${l}`),
  ];
}

/** systemd_service_unit_failed_state: restart_service of the unit the chart names, once systemd confirms it failed. */
export const systemdServiceFailed: AlarmRule = {
  id: 'systemd-service-failed',
  needs: ['unit'],
  analyse: (ctx): DraftAnalysis => {
    const unit = unitOfAlert(ctx.alert);
    const evidence = [...chartEvidence(ctx), ...unitEvidence(ctx)];
    if (!unit) return notifyOnly(ctx, 'A systemd service failed', `The chart ${ctx.alert.chart} does not name the unit: run \`systemctl --failed\``, evidence);
    const state = ctx.unit?.ok ? ctx.unit.data : undefined;
    if (state && state.loadState === 'not-found') {
      return notifyOnly(ctx, `${unit} failed but systemd no longer knows it`, 'It was removed or renamed: `systemctl reset-failed` clears the alarm', evidence);
    }
    if (state && state.activeState !== 'failed') {
      return {
        summary: `${unit} was failed and is ${state.activeState} now`,
        likelyCause: `${unit} recovered (or was restarted) after failing with result ${state.result}`,
        evidence,
        confidence: 'medium',
        proposals: [{ type: 'log_analysis', params: { minutes: 30, pattern: unit.replace(/\.service$/, '') }, reason: 'see why it failed before it came back' }],
      };
    }
    const verdict = checkRestartableUnit(unit, { allow: [], deny: [], ownUnits: [] });
    if (!verdict.ok) {
      return {
        summary: `${unit} failed and may not be restarted automatically`,
        likelyCause: `${unit} is in the failed state; ${verdict.reason}`,
        evidence,
        confidence: 'medium',
        proposals: [notifyHuman(ctx, `${unit} failed; ${verdict.reason}. Restart it by hand after checking \`journalctl -u ${unit}\``, 'a protected service is never restarted by the agent')],
      };
    }
    const crashLoop = state?.nRestarts !== null && state?.nRestarts !== undefined && state.nRestarts >= 5;
    return {
      summary: `systemd service ${unit} is in the failed state`,
      likelyCause: `${unit} failed${state ? ` (result ${state.result}${state.execMainStatus !== null ? `, exit status ${state.execMainStatus}` : ''})` : ''}${crashLoop ? `; it already restarted ${state.nRestarts} times, so a restart alone may not hold` : ''}`,
      evidence,
      // Without systemd's word (no bus, a container) the unit's failure is only Netdata's: a person confirms.
      confidence: state ? (crashLoop ? 'low' : 'high') : 'low',
      proposals: [{ type: 'restart_service', params: { service: verdict.unit }, reason: `${verdict.unit} is failed; a restart brings it back` }],
    };
  },
};

/** systemd_{socket,target,path,device,mount,automount,swap,scope,slice}_unit_failed_state: not services, so notify. */
export const systemdOtherUnitFailed: AlarmRule = {
  id: 'systemd-unit-failed',
  needs: ['unit'],
  analyse: (ctx) => {
    const unit = unitOfAlert(ctx.alert);
    const why = unit ? checkRestartableUnit(unit, { allow: [], deny: [], ownUnits: [] }) : undefined;
    return notifyOnly(
      ctx,
      `systemd unit ${unit ?? '(unnamed)'} is in the failed state`,
      `${why && !why.ok ? `${why.reason}. ` : ''}Check \`systemctl status ${unit ?? '--failed'}\``,
      unitEvidence(ctx),
    );
  },
};
