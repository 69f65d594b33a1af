import { AppError } from '../errors.js';
import type { Issue, IssueComment } from '../model/issue.js';
import { runbookFor, type Runbook } from '../model/runbook.js';
import { ActivationRepository } from '../store/activation-repository.js';
import type { IssueRepository } from '../store/issue-repository.js';

export interface IssueDetail extends Issue {
  comments: IssueComment[];
  actions: Record<string, unknown>[];
  /** The local runbook whose matchers hold for the issue (runbooks.dir), if any. */
  runbook?: { file: string; title: string; body: string; actions: string[] };
  /** POST /api/v2/alerts: the label sets behind the issue, each live (ends_at: unless re-sent) or how it ended. */
  alert_activations?: { fingerprint: string; starts_at: number; ends_at: number; ended: 'resolved' | 'expired' | null; updated_at: number }[];
}

/** Extra per-issue rows other stages contribute to `issues-show` / GET /api/v1/issues/:id (e.g. actions). */
export type IssueDetailSource = (issueId: string) => Promise<Record<string, unknown>[]>;

/** The issue row, its comments oldest first and its actions: one shape for the CLI's --json and the HTTP API. */
/** `id` may be a unique prefix. The issue and its comments are one exchange, its actions another. */
export async function loadIssueDetail(issues: IssueRepository, id: string, actions?: IssueDetailSource, runbooks: readonly Runbook[] = []): Promise<IssueDetail> {
  const found = await issues.findWithComments(id);
  if (!found) {
    await issues.resolveId(id); // says why: no such issue, or which issues an ambiguous prefix matches
    throw new AppError('NOT_FOUND', `no issue with id "${id}"`);
  }
  const { issue } = found;
  const detail: IssueDetail = { ...issue, comments: found.comments, actions: actions ? await actions(issue.id) : [] };
  if (issue.source === 'alertmanager') {
    const rows = await new ActivationRepository().forIssue(issues.db, issue.id);
    if (rows.length > 0) detail.alert_activations = rows.map((r) => ({ fingerprint: r.fingerprint, starts_at: r.starts_at, ends_at: r.ends_at, ended: r.ended, updated_at: r.updated_at }));
  }
  const runbook = runbookFor(runbooks, issue);
  if (runbook) detail.runbook = { file: runbook.file, title: runbook.title, body: runbook.body, actions: runbook.actions.map((a) => a.type) };
  return detail;
}
