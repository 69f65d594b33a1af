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
/** `id` may be a unique prefix. The issue and its comments are one exchange, its actions another. */
export async function loadIssueDetail(issues: IssueRepository, id: string, actions?: IssueDetailSource): Promise<IssueDetail> {
  const found = await issues.findWithComments(id);
  if (!found) {
    await issues.resolveId(id); // says why: no such issue, or which issues an ambiguous prefix matches
    throw new AppError('NOT_FOUND', `no issue with id "${id}"`);
  }
  return { ...found.issue, comments: found.comments, actions: actions ? await actions(found.issue.id) : [] };
}
