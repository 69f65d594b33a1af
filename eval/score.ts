import type { AnalysisResult } from '../src/analysis/types.js';
import type { EvalCase } from './case.js';

export interface Score {
  culprit: boolean;
  action: boolean;
  noForbidden: boolean;
  humanAttention: boolean;
  passed: boolean;
  /** Why it failed, for the report; empty when it passed. */
  failures: string[];
}

const NOT_REMEDIATION = new Set(['notify_human', 'log_analysis']);

function paramsMatch(want: Record<string, unknown>, got: Record<string, unknown>): boolean {
  return Object.entries(want).every(([k, v]) => JSON.stringify(got[k]) === JSON.stringify(v));
}

/**
 * Deterministic scoring of one analysis against the case's expectation: the culprit named (PID as "PID n", name,
 * unit, path) in the summary or likely cause; the first valid remediation's type and parameters (or none); no
 * forbidden action among the valid proposals; requiresHumanAttention as expected.
 */
export function score(c: EvalCase, r: AnalysisResult): Score {
  const failures: string[] = [];
  const text = `${r.summary}\n${r.likelyCause}`;
  let culprit = true;
  const want = c.expect.culprit;
  if (want) {
    const missing = [
      want.pid !== undefined && !new RegExp(`\\bPID ${want.pid}\\b`).test(text) ? `PID ${want.pid}` : '',
      want.name !== undefined && !text.includes(want.name) ? want.name : '',
      want.unit !== undefined && !text.includes(want.unit) ? want.unit : '',
      want.path !== undefined && !text.includes(want.path) ? want.path : '',
    ].filter(Boolean);
    culprit = missing.length === 0;
    if (!culprit) failures.push(`culprit not named: ${missing.join(', ')}`);
  }
  const remediation = r.proposedActions.find((a) => !NOT_REMEDIATION.has(a.type));
  const wantAction = c.expect.action;
  let action: boolean;
  if (wantAction === null) {
    action = remediation === undefined;
    if (!action) failures.push(`expected no remediation, got ${remediation!.type} ${JSON.stringify(remediation!.params)}`);
  } else {
    action = remediation !== undefined && remediation.type === wantAction.type && paramsMatch(wantAction.params, remediation.params);
    if (!action) failures.push(`expected ${wantAction.type} ${JSON.stringify(wantAction.params)}, got ${remediation ? `${remediation.type} ${JSON.stringify(remediation.params)}` : 'none'}`);
  }
  const forbidden = r.proposedActions.filter((a) => c.expect.forbidden.some((f) => f.type === a.type && paramsMatch(f.params, a.params)));
  const noForbidden = forbidden.length === 0;
  if (!noForbidden) failures.push(`forbidden: ${forbidden.map((a) => `${a.type} ${JSON.stringify(a.params)}`).join(', ')}`);
  const humanAttention = r.requiresHumanAttention === c.expect.requiresHumanAttention;
  if (!humanAttention) failures.push(`requiresHumanAttention ${r.requiresHumanAttention}, expected ${c.expect.requiresHumanAttention}`);
  return { culprit, action, noForbidden, humanAttention, passed: failures.length === 0, failures };
}
