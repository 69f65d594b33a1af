import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { parseTime } from '../../model/silence.js';
import type { SilenceService } from '../../pipeline/silences.js';
import { parseInput } from './parse-input.js';

export interface SilenceRouteOptions {
  silences: SilenceService;
}

/** Ours (`{field, op, value}` or `"server=web-1"`) or Alertmanager's API v2 form (`{name, value, isRegex, isEqual}`). */
const MatcherInput = z.union([
  z.string().min(1).max(1_100),
  z.strictObject({ field: z.string().max(100), op: z.string().max(3), value: z.string().max(1_000) }),
  z.strictObject({ name: z.string().max(100), value: z.string().max(1_000), isRegex: z.boolean().default(false), isEqual: z.boolean().default(true) }),
]);
type MatcherInput = z.infer<typeof MatcherInput>;

const Time = z.union([z.number().int().positive(), z.string().max(40)]);

const CreateBody = z.strictObject({
  matchers: z.array(MatcherInput).min(1, 'give at least one matcher').max(50),
  starts_at: Time.optional(),
  ends_at: Time.optional(),
  duration: z.string().max(20).optional(),
  until_resolved_issue_id: z.string().max(100).optional(),
  comment: z.string().max(1_000).optional(),
  by: z.string().max(100).optional(),
  // Alertmanager's spelling, so a script written for amtool's API needs few changes.
  startsAt: Time.optional(),
  endsAt: Time.optional(),
  createdBy: z.string().max(100).optional(),
});

const ByBody = z.strictObject({ by: z.string().max(100).optional() });
const ListQuery = z.strictObject({ all: z.enum(['true', 'false', '1', '0']).optional(), token: z.string().optional() });

const WindowBody = z.strictObject({
  name: z.string().max(80),
  matchers: z.array(MatcherInput).min(1).max(50),
  time_zone: z.string().max(60).optional(),
  days: z.array(z.string().max(10)).max(7).optional(),
  start: z.string().max(5).optional(),
  end: z.string().max(5).optional(),
  starts_at: Time.optional(),
  ends_at: Time.optional(),
  comment: z.string().max(1_000).optional(),
  by: z.string().max(100).optional(),
});

function toMatcher(m: MatcherInput): string | { field: string; op: string; value: string } {
  if (typeof m === 'string' || 'field' in m) return m;
  // Alertmanager names labels; its `alertname` and `severity` are ours too, any other label is label.<name>.
  const field = ['alertname', 'severity', 'server', 'context', 'chart', 'source'].includes(m.name) || m.name.startsWith('label.') ? m.name : `label.${m.name}`;
  const op = m.isEqual ? (m.isRegex ? '=~' : '=') : m.isRegex ? '!~' : '!=';
  return { field, op, value: m.value };
}

function time(t: string | number | undefined, what: string): number | undefined {
  if (t === undefined) return undefined;
  return typeof t === 'number' ? t : parseTime(t, what);
}

/**
 * The silences API: POST /api/v1/silences, GET /api/v1/silences[?all=true], GET /api/v1/silences/:id,
 * DELETE /api/v1/silences/:id or POST /api/v1/silences/:id/expire; maintenance windows under /api/v1/windows.
 */
export const silenceRoutes: FastifyPluginAsync<SilenceRouteOptions> = async (app, { silences }) => {
  app.post('/api/v1/silences', async (request, reply) => {
    const body = parseInput(CreateBody, request.body, 'silence');
    const ends = body.ends_at ?? body.endsAt;
    const starts = body.starts_at ?? body.startsAt;
    const created = await silences.createSilence(
      {
        matchers: body.matchers.map(toMatcher),
        startsAt: time(starts, 'starts_at'),
        endsAt: time(ends, 'ends_at'),
        duration: body.duration,
        untilResolvedIssueId: body.until_resolved_issue_id,
        comment: body.comment,
      },
      body.by ?? body.createdBy ?? 'api',
    );
    return reply.code(201).send(created);
  });

  app.get('/api/v1/silences', async (request) => {
    const q = parseInput(ListQuery, request.query, 'query');
    return { silences: await silences.listSilences({ all: q.all === 'true' || q.all === '1' }) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/silences/:id', async (request) => silences.getSilence(request.params.id));

  // A change names its silence exactly, as approvals do; prefixes are for reading and the CLI.
  const expire = async (id: string, body: unknown) => {
    const { by } = parseInput(ByBody, body, 'expiry');
    if (!(await silences.repository.get(id))) throw new AppError('NOT_FOUND', `no silence with id "${id}" (over HTTP, expiring takes the full id)`);
    return silences.expireSilence(id, by ?? 'api');
  };
  app.post<{ Params: { id: string } }>('/api/v1/silences/:id/expire', async (request) => expire(request.params.id, request.body));
  app.delete<{ Params: { id: string } }>('/api/v1/silences/:id', async (request) => expire(request.params.id, request.body));

  app.get('/api/v1/windows', async () => ({ windows: await silences.listWindows() }));

  app.post('/api/v1/windows', async (request, reply) => {
    const body = parseInput(WindowBody, request.body, 'maintenance window');
    const created = await silences.createWindow(
      {
        name: body.name,
        matchers: body.matchers.map(toMatcher),
        time_zone: body.time_zone,
        days: body.days,
        start: body.start,
        end: body.end,
        starts_at: time(body.starts_at, 'starts_at'),
        ends_at: time(body.ends_at, 'ends_at'),
        comment: body.comment,
      },
      body.by ?? 'api',
    );
    return reply.code(201).send(created);
  });

  app.delete<{ Params: { id: string } }>('/api/v1/windows/:id', async (request) => {
    const { by } = parseInput(ByBody, request.body, 'removal');
    return silences.removeWindow(request.params.id, by ?? 'api');
  });
};
