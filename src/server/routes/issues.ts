import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { parseInput } from './parse-input.js';
import type { IssueTracker } from '../../issues/issue-tracker.js';
import { parseIssueStatuses } from '../../model/issue.js';
import { loadIssueDetail, type IssueDetailSource } from '../../pipeline/issue-detail.js';
import type { Runbook } from '../../model/runbook.js';
import type { IssueRepository } from '../../store/issue-repository.js';
import type { Issue } from '../../model/issue.js';
import type { IssueMarks, SilenceService } from '../../pipeline/silences.js';

export interface IssueRouteOptions {
  tracker: IssueTracker;
  issues: IssueRepository;
  /** The actions of an issue, for GET /api/v1/issues/:id. */
  issueActions?: IssueDetailSource | undefined;
  /** Acknowledgement and silence state on every issue, and the ack / unack / snooze / silence routes. */
  silences?: SilenceService | undefined;
  /** The local runbooks (runbooks.dir), read at start: the one matching an issue is part of its detail. */
  runbooks?: readonly Runbook[];
}

const AckBody = z.strictObject({ by: z.string().trim().min(1).max(100).optional() });
const SnoozeBody = z.strictObject({ by: z.string().trim().min(1).max(100).optional(), duration: z.string().max(20).optional(), comment: z.string().max(1_000).optional() });
const SilenceBody = z.strictObject({ by: z.string().trim().min(1).max(100).optional(), comment: z.string().max(1_000).optional() });

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

/** The issues API: list, show, add a note, change the status, acknowledge, snooze, silence until resolved. */
export const issueRoutes: FastifyPluginAsync<IssueRouteOptions> = async (app, deps) => {
  // acknowledged_by / acknowledged_at (the issue_acks columns) and `silenced` (what covers it now) on every issue.
  const withMarks = async <T extends Issue>(issues: T[]): Promise<(T & Omit<IssueMarks, 'issue_id'>)[]> => {
    if (!deps.silences) return issues.map((i) => ({ ...i, acknowledged_by: null, acknowledged_at: null, silenced: null }));
    const marks = await deps.silences.marksOf(issues);
    return issues.map((i) => {
      const m = marks.get(i.id);
      return { ...i, acknowledged_by: m?.acknowledged_by ?? null, acknowledged_at: m?.acknowledged_at ?? null, silenced: m?.silenced ?? null };
    });
  };

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
    return { issues: await withMarks(issues), counts, servers };
  });

  app.get<{ Params: { id: string } }>('/api/v1/issues/:id', async (request) => {
    const id = await deps.issues.resolveId(request.params.id);
    const detail = await loadIssueDetail(deps.issues, id, deps.issueActions, deps.runbooks);
    return (await withMarks([detail]))[0]!;
  });

  const { silences } = deps;
  if (silences) {
    app.post<{ Params: { id: string } }>('/api/v1/issues/:id/ack', async (request) => {
      const body = parseInput(AckBody, request.body, 'acknowledgement');
      return silences.ack(await exactId(request.params.id), body.by ?? 'api');
    });
    app.post<{ Params: { id: string } }>('/api/v1/issues/:id/unack', async (request) => {
      const body = parseInput(AckBody, request.body, 'acknowledgement');
      return silences.unack(await exactId(request.params.id), body.by ?? 'api');
    });
    app.post<{ Params: { id: string } }>('/api/v1/issues/:id/snooze', async (request, reply) => {
      const body = parseInput(SnoozeBody, request.body, 'snooze');
      const options = { ...(body.duration ? { duration: body.duration } : {}), ...(body.comment ? { comment: body.comment } : {}) };
      return reply.code(201).send(await silences.snooze(await exactId(request.params.id), body.by ?? 'api', options));
    });
    app.post<{ Params: { id: string } }>('/api/v1/issues/:id/silence', async (request, reply) => {
      const body = parseInput(SilenceBody, request.body, 'silence');
      return reply.code(201).send(await silences.silenceUntilResolved(await exactId(request.params.id), body.by ?? 'api', body.comment));
    });
  }

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
