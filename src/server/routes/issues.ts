import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { parseInput } from './parse-input.js';
import type { IssueTracker } from '../../issues/issue-tracker.js';
import { parseIssueStatuses } from '../../model/issue.js';
import { loadIssueDetail, type IssueDetailSource } from '../../pipeline/issue-detail.js';
import type { IssueRepository } from '../../store/issue-repository.js';

export interface IssueRouteOptions {
  tracker: IssueTracker;
  issues: IssueRepository;
  /** The actions of an issue, for GET /api/v1/issues/:id. */
  issueActions?: IssueDetailSource | undefined;
}

const ListQuery = z.strictObject({
  status: z.string().optional(),
  severity: z.enum(['warning', 'critical']).optional(),
  server: z.string().max(200).optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  offset: z.coerce.number().int().min(0).optional(),
  token: z.string().optional(),
});

const CommentBody = z.strictObject({
  content: z.string().trim().min(1).max(10_000),
  author: z.string().trim().min(1).max(100).optional(),
});

const StatusBody = z.strictObject({
  status: z.enum(['open', 'investigating', 'resolved', 'closed']),
  author: z.string().trim().min(1).max(100).optional(),
  reason: z.string().trim().min(1).max(1_000).optional(),
});

/** The issues API: list, show, add a note, change the status. */
export const issueRoutes: FastifyPluginAsync<IssueRouteOptions> = async (app, deps) => {
  // A change names its issue exactly, as approvals do; prefixes are for reading (and the CLI).
  const exactId = async (id: string): Promise<string> => {
    if (await deps.issues.get(id)) return id;
    throw new AppError('NOT_FOUND', `no issue with id "${id}" (over HTTP, notes and status changes take the full id)`);
  };

  app.get('/api/v1/issues', async (request) => {
    const q = parseInput(ListQuery, request.query, 'query');
    const statuses = parseIssueStatuses(q.status);
    // One exchange with the database: the pages and every server's counts (the status counts are their sums).
    const { issues, servers } = await deps.issues.listWithServers({
      ...(statuses ? { statuses } : {}),
      ...(q.severity ? { severity: q.severity } : {}),
      ...(q.server ? { serverId: q.server } : {}),
      ...(q.q ? { search: q.q } : {}),
      limit: q.limit ?? 100,
      offset: q.offset ?? 0,
    });
    const counts = { open: 0, investigating: 0, resolved: 0, closed: 0 };
    for (const s of servers) for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += s[k];
    return { issues, counts, servers };
  });

  app.get<{ Params: { id: string } }>('/api/v1/issues/:id', async (request) => {
    const id = await deps.issues.resolveId(request.params.id);
    return loadIssueDetail(deps.issues, id, deps.issueActions);
  });

  app.post<{ Params: { id: string } }>('/api/v1/issues/:id/comments', async (request, reply) => {
    const body = parseInput(CommentBody, request.body, 'comment');
    const id = await exactId(request.params.id);
    const commentId = await deps.tracker.addComment(id, {
      author_type: 'human',
      author_name: body.author ?? 'api',
      comment_type: 'note',
      content: body.content,
    });
    return reply.code(201).send({ id: commentId, issue_id: id });
  });

  app.post<{ Params: { id: string } }>('/api/v1/issues/:id/status', async (request) => {
    const body = parseInput(StatusBody, request.body, 'status change');
    const id = await exactId(request.params.id);
    const issue = await deps.tracker.setStatus(id, body.status, {
      author: { type: 'human', name: body.author ?? 'api' },
      ...(body.reason ? { reason: body.reason } : {}),
    });
    return issue;
  });
};
