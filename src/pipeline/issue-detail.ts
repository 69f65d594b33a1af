import { AppError } from '../errors.js';
import type { Issue, IssueComment } from '../model/issue.js';
import type { IssueRepository } from '../store/issue-repository.js';

export interface IssueDetail extends Issue {
  comments: IssueComment[];
  actions: Record<string, unknown>[];
}

/** Extra per-issue rows other stages contribute to `issues-show` / GET /api/v1/issues/:id (e.g. actions). */
export type IssueDetailSource = (issueId: string) => Promise<Record<string, unknown>[]>;

/** The issue row, its comments oldest first and its actions: one shape for the CLI's --json and the HTTP API. */
export async function loadIssueDetail(issues: IssueRepository, id: string, actions?: IssueDetailSource): Promise<IssueDetail> {
  const issue = await issues.get(id);
  if (!issue) throw new AppError('NOT_FOUND', `no issue with id "${id}"`);
  return { ...issue, comments: await issues.comments(id), actions: actions ? await actions(id) : [] };
}
