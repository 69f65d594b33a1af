import { AppError } from '../errors.js';
import type { Issue, IssueComment } from '../model/issue.js';
import { runbookFor, type Runbook } from '../model/runbook.js';
import type { IssueRepository } from '../store/issue-repository.js';

export interface IssueDetail extends Issue {
  comments: IssueComment[];
  actions: Record<string, unknown>[];
  /** The local runbook whose matchers hold for the issue (runbooks.dir), if any. */
  runbook?: { file: string; title: string; body: string; actions: string[] };
}

/** Extra per-issue rows other stages contribute to `issues-show` / GET /api/v1/issues/:id (e.g. actions). */
export type IssueDetailSource = (issueId: string) => Promise<Record<string, unknown>[]>;

/** The issue row, its comments oldest first and its actions: one shape for the CLI's --json and the HTTP API. */
export async function loadIssueDetail(issues: IssueRepository, id: string, actions?: IssueDetailSource, runbooks: readonly Runbook[] = []): Promise<IssueDetail> {
  const issue = await issues.get(id);
  if (!issue) throw new AppError('NOT_FOUND', `no issue with id "${id}"`);
  const detail: IssueDetail = { ...issue, comments: await issues.comments(id), actions: actions ? await actions(id) : [] };
  const runbook = runbookFor(runbooks, issue);
  if (runbook) detail.runbook = { file: runbook.file, title: runbook.title, body: runbook.body, actions: runbook.actions.map((a) => a.type) };
  return detail;
}
