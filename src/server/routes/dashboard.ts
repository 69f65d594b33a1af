import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, httpStatusOf, zodProblem } from '../../errors.js';
import { PACKAGE_ROOT } from '../../paths.js';
import type { IssueRepository } from '../../store/issue-repository.js';
import type { AccessPolicy } from '../api-access.js';
import { toActionView } from '../dashboard/action-view.js';
import { ActionList, InProcessApi, IssueDetail, IssueList } from '../dashboard/api-client.js';
import { approvalsPage, approvalsRegion } from '../dashboard/approvals-page.js';
import type { SafeHtml } from '../dashboard/html.js';
import { issuePage, issueRegion } from '../dashboard/issue-page.js';
import { apiQuery, issuesPage, issuesRegion, type IssueFilters } from '../dashboard/issues-page.js';
import { errorPage, loginPage } from '../dashboard/login-page.js';
import { LoginLimiter, type LoginLimits } from '../dashboard/login-limiter.js';
import { DashboardAuth } from '../dashboard/session.js';
import { statsPage } from '../dashboard/stats-page.js';
import { SilenceList, silencesPage, WindowList } from '../dashboard/silences-page.js';

export interface DashboardDeps {
  /** The daemon's access rules; its steering token (server.apiToken, else the local token) is what logs in. */
  access: AccessPolicy;
  /** Failed-login limits (defaults: 5 per address and 30 in all per minute). */
  loginLimits?: Partial<LoginLimits>;
  issues: IssueRepository;
  /** Per-action-type counts since a time; undefined when the remediation stage is not running. */
  actionStats?: (sinceMs: number) => Promise<{ action_type: string; executed: number; succeeded: number; verified: number }[] | undefined>;
  now?: () => number;
}

const ASSET_DIR = join(PACKAGE_ROOT, 'src/server/dashboard/assets');
const ASSETS: Record<string, string> = { 'dashboard.js': 'text/javascript; charset=utf-8', 'dashboard.css': 'text/css; charset=utf-8' };

/** Nothing but this server's own script and stylesheet may run or load; no framing; no sniffing. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'same-origin') // no-referrer would make Chrome send `Origin: null` on our own form posts
    .header('cache-control', 'no-store');
}

function sendHtml(reply: FastifyReply, body: SafeHtml, status = 200): FastifyReply {
  return secure(reply).code(status).type('text/html; charset=utf-8').send(body.toString());
}


const FiltersQuery = z.object({
  status: z.string().max(100).optional(),
  severity: z.enum(['', 'warning', 'critical']).optional(),
  server: z.string().max(200).optional(),
  q: z.string().max(200).optional(),
});

const NoteForm = z.object({ csrf: z.string(), author: z.string().trim().min(1).max(100), content: z.string().trim().min(1).max(10_000) });
const StatusForm = z.object({
  csrf: z.string(),
  author: z.string().trim().min(1).max(100),
  status: z.enum(['open', 'investigating', 'resolved', 'closed']),
  reason: z.string().trim().max(1_000).optional(),
});
const DecideForm = z.object({
  csrf: z.string(),
  by: z.string().trim().min(1).max(100),
  reason: z.string().trim().max(1_000).optional(),
  decision: z.enum(['approve', 'reject']),
  params_hash: z.string().max(64).optional(),
});
const LoginForm = z.object({ token: z.string().max(4_096) });
const OwnForm = z.object({ csrf: z.string(), by: z.string().trim().min(1).max(100), comment: z.string().trim().max(1_000).optional(), do: z.enum(['ack', 'unack', 'snooze', 'silence']) });
const SilenceForm = z.object({
  csrf: z.string(),
  by: z.string().trim().min(1).max(100),
  matchers: z.string().trim().min(1).max(5_000),
  duration: z.string().trim().min(1).max(20),
  comment: z.string().trim().max(1_000).optional(),
});
const ExpireForm = z.object({ csrf: z.string(), by: z.string().trim().min(1).max(100) });

function form<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw new AppError('INPUT_INVALID', `form ${zodProblem(r.error, { field: 'field ', whole: 'field (body)' })}`);
  return r.data;
}

function filtersOf(query: unknown): IssueFilters {
  const q = FiltersQuery.safeParse(query ?? {});
  if (!q.success) throw new AppError('INPUT_INVALID', `filter ${zodProblem(q.error)}`);
  const f: IssueFilters = {};
  if (q.data.status) f.status = q.data.status;
  if (q.data.severity) f.severity = q.data.severity;
  if (q.data.server) f.server = q.data.server.trim();
  if (q.data.q) f.q = q.data.q.trim();
  return f;
}

/**
 * The web dashboard: server-rendered pages over the in-process JSON API, one script and one stylesheet, a strict
 * CSP. Forms post to the dashboard's own routes (CSRF token checked here), which call the API and redirect back.
 */
export const dashboardRoutes: FastifyPluginAsync<DashboardDeps> = async (app, deps) => {
  // The dashboard steers the agent, so it always asks for the steering credential, loopback or not.
  const auth = new DashboardAuth(deps.access.steeringToken);
  const limiter = new LoginLimiter(deps.loginLimits);
  const credential = deps.access.apiTokenConfigured ? 'api' : 'local';
  const now = deps.now ?? Date.now;
  const assets = new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(join(ASSET_DIR, name), 'utf8')]));
  const api = new InProcessApi(app, deps.access.steeringToken);
  const logoutCsrf = (request: FastifyRequest) => auth.csrfFor(request.headers.cookie);

  /**
   * Session and CSRF checks shared by every dashboard route; answers and returns true when refused. The Host, and the
   * Origin of posts, were checked for every route before (api-access.ts).
   */
  const refuse = (request: FastifyRequest, reply: FastifyReply, kind: 'page' | 'partial' | 'post'): boolean => {
    if (!auth.allows(request.headers.cookie)) {
      if (kind === 'page') secure(reply).redirect('/login', 303);
      else secure(reply).code(401).type('text/plain').send('log in first');
      return true;
    }
    if (kind === 'post') {
      const body = request.body as Record<string, unknown> | undefined;
      if (!auth.csrfValid(request.headers.cookie, body?.csrf)) {
        secure(reply).code(403).type('text/plain').send('CSRF check failed: reload the page and try again');
        return true;
      }
    }
    return false;
  };

  /** Renders an AppError as a page with the right status; anything else is a bug for the app's error handler. */
  const guarded =
    (kind: 'page' | 'partial' | 'post', handler: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      if (refuse(request, reply, kind)) return reply;
      try {
        return await handler(request, reply);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        return sendHtml(reply, errorPage(httpStatusOf(err.code), err.message, logoutCsrf(request)), httpStatusOf(err.code));
      }
    };

  app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const body = assets.get(request.params.name);
    if (body === undefined) throw new AppError('NOT_FOUND', `no asset ${request.params.name}`);
    return secure(reply).header('cache-control', 'no-cache').type(ASSETS[request.params.name]!).send(body);
  });

  app.get('/login', async (request, reply) =>
    auth.allows(request.headers.cookie) ? secure(reply).redirect('/', 303) : sendHtml(reply, loginPage(credential)),
  );
  app.post('/login', async (request, reply) => {
    // Counted before the token is compared, and nothing awaited in between: parallel guesses cannot slip past.
    const verdict = limiter.check(request.ip);
    if (!verdict.allowed) {
      const who = verdict.scope === 'address' ? 'from your address' : 'on this agent';
      const text = `Too many failed logins ${who}: try again in ${verdict.retryAfterSeconds} s.`;
      return sendHtml(reply.header('retry-after', String(verdict.retryAfterSeconds)), loginPage(credential, text), 429);
    }
    const { token } = form(LoginForm, request.body);
    if (!auth.tokenMatches(token)) {
      limiter.recordFailure(request.ip);
      await new Promise((r) => setTimeout(r, 250)); // slows a sequential guesser further
      const text = credential === 'api' ? 'That is not the API token of this agent.' : 'That is not the local token of this agent.';
      return sendHtml(reply, loginPage(credential, text), 401);
    }
    limiter.recordSuccess(request.ip);
    return secure(reply).header('set-cookie', auth.sessionCookie(auth.issueSession())).redirect('/', 303);
  });
  app.post(
    '/logout',
    guarded('post', async (request, reply) => {
      auth.revoke(request.headers.cookie); // on the server: a copy of the cookie opens nothing afterwards
      return secure(reply).header('set-cookie', auth.clearedCookie()).redirect('/login', 303);
    }),
  );

  const loadList = async (filters: IssueFilters) => api.get(`/api/v1/issues${apiQuery(filters)}`, IssueList);
  app.get(
    '/',
    guarded('page', async (request, reply) => {
      const filters = filtersOf(request.query);
      return sendHtml(reply, issuesPage(await loadList(filters), filters, now(), logoutCsrf(request)));
    }),
  );
  app.get(
    '/partials/issues',
    guarded('partial', async (request, reply) => {
      const filters = filtersOf(request.query);
      return sendHtml(reply, issuesRegion(await loadList(filters), filters, now()));
    }),
  );

  const hasActionsApi = () => api.hasRoute('GET', '/api/v1/actions');
  const loadIssue = async (id: string) => {
    const detail = await api.get(`/api/v1/issues/${encodeURIComponent(id)}`, IssueDetail);
    // Older wiring leaves `actions` empty in the issue detail; the actions API answers per issue too.
    if (detail.actions.length === 0 && hasActionsApi()) {
      detail.actions = await api.get(`/api/v1/actions?issue_id=${encodeURIComponent(detail.id)}&limit=200`, ActionList);
    }
    return detail;
  };
  const showIssue = async (request: FastifyRequest, reply: FastifyReply, id: string, flash?: { kind: 'ok' | 'error'; text: string }, status = 200) =>
    sendHtml(reply, issuePage(await loadIssue(id), now(), auth.csrfFor(request.headers.cookie), logoutCsrf(request), flash), status);

  app.get<{ Params: { id: string } }>(
    '/issues/:id',
    guarded('page', async (request, reply) => showIssue(request, reply, (request.params as { id: string }).id)),
  );
  app.get<{ Params: { id: string } }>(
    '/partials/issues/:id',
    guarded('partial', async (request, reply) => sendHtml(reply, issueRegion(await loadIssue((request.params as { id: string }).id), now()))),
  );

  const issueAction = (suffix: 'notes' | 'status') =>
    guarded('post', async (request, reply) => {
      const id = (request.params as { id: string }).id;
      const path = `/api/v1/issues/${encodeURIComponent(id)}`;
      const result =
        suffix === 'notes'
          ? await (async () => {
              const f = form(NoteForm, request.body);
              return api.call('POST', `${path}/comments`, { content: f.content, author: f.author });
            })()
          : await (async () => {
              const f = form(StatusForm, request.body);
              return api.call('POST', `${path}/status`, { status: f.status, author: f.author, ...(f.reason ? { reason: f.reason } : {}) });
            })();
      if (!result.ok) return showIssue(request, reply, id, { kind: 'error', text: result.message }, result.status);
      return secure(reply).redirect(`/issues/${encodeURIComponent(id)}`, 303);
    });
  app.post<{ Params: { id: string } }>(
    '/issues/:id/own',
    guarded('post', async (request, reply) => {
      const id = (request.params as { id: string }).id;
      const f = form(OwnForm, request.body);
      const body = { by: f.by, ...(f.comment && f.do !== 'ack' && f.do !== 'unack' ? { comment: f.comment } : {}) };
      const result = await api.call('POST', `/api/v1/issues/${encodeURIComponent(id)}/${f.do}`, body);
      if (!result.ok) return showIssue(request, reply, id, { kind: 'error', text: result.message }, result.status);
      return secure(reply).redirect(`/issues/${encodeURIComponent(id)}`, 303);
    }),
  );
  app.post('/issues/:id/notes', issueAction('notes'));
  app.post('/issues/:id/status', issueAction('status'));

  const loadPending = async () => {
    const rows = hasActionsApi() ? await api.get('/api/v1/actions?status=pending_approval', ActionList) : [];
    return rows.map(toActionView).filter((a) => a.status === 'pending_approval');
  };
  const showApprovals = async (request: FastifyRequest, reply: FastifyReply, flash?: { kind: 'ok' | 'error'; text: string }, status = 200) =>
    sendHtml(reply, approvalsPage(await loadPending(), hasActionsApi(), now(), auth.csrfFor(request.headers.cookie), logoutCsrf(request), flash), status);
  app.get(
    '/partials/approvals',
    guarded('partial', async (request, reply) =>
      sendHtml(reply, approvalsRegion(await loadPending(), hasActionsApi(), now(), auth.csrfFor(request.headers.cookie))),
    ),
  );
  app.get(
    '/approvals',
    guarded('page', async (request, reply) => {
      const q = request.query as Record<string, unknown>;
      const done = q.done === 'approve' ? 'Approved: the action runs now.' : q.done === 'reject' ? 'Rejected.' : undefined;
      return showApprovals(request, reply, done ? { kind: 'ok', text: done } : undefined);
    }),
  );
  app.post<{ Params: { id: string } }>(
    '/approvals/:id/decide',
    guarded('post', async (request, reply) => {
      const id = (request.params as { id: string }).id;
      const f = form(DecideForm, request.body);
      // An approval names the parameters the approver saw (params_hash), so it cannot apply to changed ones.
      const body =
        f.decision === 'approve'
          ? { by: f.by, ...(f.params_hash ? { params_hash: f.params_hash } : {}) }
          : { by: f.by, ...(f.reason ? { reason: f.reason } : {}) };
      const result = await api.call('POST', `/api/v1/actions/${encodeURIComponent(id)}/${f.decision}`, body);
      if (!result.ok) return showApprovals(request, reply, { kind: 'error', text: result.message }, result.status);
      return secure(reply).redirect(`/approvals?done=${f.decision}`, 303);
    }),
  );

  const hasSilences = () => api.hasRoute('GET', '/api/v1/silences');
  const showSilences = async (request: FastifyRequest, reply: FastifyReply, all: boolean, flash?: { kind: 'ok' | 'error'; text: string }, status = 200) => {
    const [list, windows] = hasSilences()
      ? await Promise.all([api.get(`/api/v1/silences${all ? '?all=true' : ''}`, SilenceList), api.get('/api/v1/windows', WindowList)])
      : [{ silences: [] }, { windows: [] }];
    return sendHtml(reply, silencesPage(list, windows, all, now(), auth.csrfFor(request.headers.cookie), logoutCsrf(request), flash), status);
  };
  app.get(
    '/silences',
    guarded('page', async (request, reply) => {
      const q = request.query as Record<string, unknown>;
      const done = q.done === 'created' ? 'Silenced.' : q.done === 'expired' ? 'Silence expired.' : undefined;
      return showSilences(request, reply, q.all === '1', done ? { kind: 'ok', text: done } : undefined);
    }),
  );
  app.post(
    '/silences',
    guarded('post', async (request, reply) => {
      const f = form(SilenceForm, request.body);
      const matchers = f.matchers.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      const result = await api.call('POST', '/api/v1/silences', { matchers, duration: f.duration, by: f.by, ...(f.comment ? { comment: f.comment } : {}) });
      if (!result.ok) return showSilences(request, reply, false, { kind: 'error', text: result.message }, result.status);
      return secure(reply).redirect('/silences?done=created', 303);
    }),
  );
  app.post<{ Params: { id: string } }>(
    '/silences/:id/expire',
    guarded('post', async (request, reply) => {
      const id = (request.params as { id: string }).id;
      const f = form(ExpireForm, request.body);
      const result = await api.call('POST', `/api/v1/silences/${encodeURIComponent(id)}/expire`, { by: f.by });
      if (!result.ok) return showSilences(request, reply, false, { kind: 'error', text: result.message }, result.status);
      return secure(reply).redirect('/silences?done=expired', 303);
    }),
  );

  app.get(
    '/stats',
    guarded('page', async (request, reply) => {
      const days = (request.query as Record<string, unknown>).days === '7' ? 7 : 30;
      const since = now() - days * 86_400_000;
      const [noisiest, servers, actions] = await Promise.all([
        deps.issues.alertFrequency(since, 20),
        deps.issues.issuesPerServer(since),
        deps.actionStats ? deps.actionStats(since) : Promise.resolve(undefined),
      ]);
      return sendHtml(reply, statsPage({ days, noisiest, servers, actions }, logoutCsrf(request)));
    }),
  );
};
