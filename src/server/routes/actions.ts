import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { parseActionStatuses } from '../../model/action.js';
import type { Remediation } from '../../pipeline/remediation.js';
import { parseInput } from './parse-input.js';

export interface ActionRouteOptions {
  remediation: Remediation;
}

const ListQuery = z.strictObject({
  status: z.string().max(300).optional(),
  issue_id: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  token: z.string().optional(),
});

const ApproveBody = z.strictObject({
  by: z.string().trim().min(1).max(100).optional(),
  /** The params_hash the approver saw; when given, the approval only applies to exactly those parameters. */
  params_hash: z.string().regex(/^[0-9a-f]{16}$/, 'must be the 16 hex characters of the action\'s params_hash').optional(),
});

const RejectBody = z.strictObject({
  by: z.string().trim().min(1).max(100).optional(),
  reason: z.string().trim().min(1).max(1_000).optional(),
});

/** GET /api/v1/actions[?status=], GET /api/v1/actions/:id, POST /api/v1/actions/:id/approve|reject. */
export const actionRoutes: FastifyPluginAsync<ActionRouteOptions> = async (app, { remediation }) => {
  app.get('/api/v1/actions', async (request) => {
    const q = parseInput(ListQuery, request.query, 'query');
    const statuses = parseActionStatuses(q.status);
    const actions = await remediation.repository.list({
      ...(statuses ? { statuses } : {}),
      ...(q.issue_id ? { issueId: q.issue_id } : {}),
      limit: q.limit ?? 100,
    });
    return { actions };
  });

  app.get<{ Params: { id: string } }>('/api/v1/actions/:id', async (request) => {
    const id = await remediation.repository.resolveId(request.params.id);
    return (await remediation.repository.get(id))!;
  });

  // A decision names its action exactly: a prefix (`act-1`) would let a caller decide on whichever action matches.
  const exactId = async (id: string): Promise<string> => {
    if (await remediation.repository.get(id)) return id;
    throw new AppError('NOT_FOUND', `no action with id "${id}" (over HTTP, approve and reject take the full id; prefixes are for reading and the CLI)`);
  };

  app.post<{ Params: { id: string } }>('/api/v1/actions/:id/approve', async (request) => {
    const body = parseInput(ApproveBody, request.body, 'approval');
    return remediation.approve(await exactId(request.params.id), body.by ?? 'api', body.params_hash ? { paramsHash: body.params_hash } : {});
  });

  app.post<{ Params: { id: string } }>('/api/v1/actions/:id/reject', async (request) => {
    const body = parseInput(RejectBody, request.body, 'rejection');
    return remediation.reject(await exactId(request.params.id), body.by ?? 'api', body.reason);
  });
};
