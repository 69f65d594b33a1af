import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { buttonHandlers, deciderName, isButtonVerb, runButton, type ButtonRouteDeps } from './channel-buttons.js';

export interface SlackInteractionChannel {
  name: string;
  signingSecret: string;
  approverIds: string[];
  /** Where response_url may point: Slack's hooks, or (tests) the configured apiBaseUrl's origin. */
  responseOrigins: string[];
}

export interface SlackRouteDeps extends ButtonRouteDeps {
  channels: SlackInteractionChannel[];
}

/** Slack request signing v0: "v0=" + hex HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + raw body). */
export function slackSignature(secret: string, timestamp: string, raw: Buffer | string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(raw).digest('hex')}`;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const BlockActions = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().max(40), username: z.string().max(100).optional(), name: z.string().max(100).optional() }),
  response_url: z.string().max(2_000).optional(),
  actions: z.array(z.object({ action_id: z.string().max(255), value: z.string().max(2_000).optional() })).min(1),
});

const MAX_SKEW_S = 300;

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * POST /api/v1/slack/interactions: the Request URL of the Slack app's interactivity. Verified by the signing secret
 * of a configured Slack channel (timestamps older or newer than 5 minutes refused), each request decided once
 * (a replay of the same signed body changes nothing), answered 200 at once; the result replaces the message
 * through response_url.
 */
export const slackInteractionRoutes: FastifyPluginAsync<SlackRouteDeps> = async (scope, deps) => {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'slack-interactions' });
  const handlers = deps.handlers ?? buttonHandlers(deps.approvals, deps.snoozer, 'Slack');
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 65_536 }, (_req, body, done) => done(null, body));

  scope.post('/api/v1/slack/interactions', async (request, reply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const ts = header(request.headers['x-slack-request-timestamp']);
    const sig = header(request.headers['x-slack-signature']);
    if (!ts || !sig || !/^\d{1,12}$/.test(ts)) return reply.code(401).send({ error: 'UNAUTHORIZED', message: 'missing Slack signature headers' });
    if (Math.abs(Math.floor(now() / 1000) - Number(ts)) > MAX_SKEW_S) return reply.code(401).send({ error: 'UNAUTHORIZED', message: 'stale request timestamp' });
    const channel = deps.channels.find((c) => c.signingSecret !== '' && same(slackSignature(c.signingSecret, ts, raw), sig));
    if (!channel) return reply.code(401).send({ error: 'UNAUTHORIZED', message: 'invalid request signature' });

    const form = new URLSearchParams(raw.toString('utf8'));
    if (form.get('ssl_check') === '1') return reply.code(200).send('');
    let json: unknown;
    try {
      json = JSON.parse(form.get('payload') ?? '');
    } catch {
      return reply.code(400).send({ error: 'INPUT_INVALID', message: 'payload is not JSON' });
    }
    const parsed = BlockActions.safeParse(json);
    if (!parsed.success) return reply.code(200).send(''); // another interaction type: nothing to do
    const p = parsed.data;
    const id = createHash('sha256').update(raw).digest('hex');
    if (!(await deps.interactions.claimInteraction(channel.name, id, p.user.id, now()))) {
      log.warn({ channel: channel.name, userId: p.user.id }, 'replayed Slack interaction ignored');
      return reply.code(200).send('');
    }
    const action = p.actions[0]!;
    const respond = (text: string, replace: boolean) => void postResponse(p.response_url, channel.responseOrigins, replace ? { replace_original: true, text } : { response_type: 'ephemeral', replace_original: false, text }, log);
    if (!isButtonVerb(action.action_id) || !action.value || !/^[A-Za-z0-9_-]{1,200}$/.test(action.value)) {
      await deps.interactions.setInteractionOutcome(channel.name, id, 'unknown');
      return reply.code(200).send('');
    }
    if (!channel.approverIds.includes(p.user.id)) {
      await deps.interactions.setInteractionOutcome(channel.name, id, 'refused');
      log.warn({ channel: channel.name, userId: p.user.id, actionId: action.value }, 'approval click from someone who is not an approver');
      respond('You are not allowed to approve or reject actions.', false);
      return reply.code(200).send('');
    }
    const by = deciderName('slack', p.user.username ?? p.user.name, p.user.id);
    const result = await runButton(handlers, action.action_id, action.value, by, { answerWithinMs: deps.answerWithinMs ?? 2_000, logger: log });
    await deps.interactions.setInteractionOutcome(channel.name, id, `${action.action_id}:${result.ok ? 'ok' : 'refused'}`);
    log.info({ channel: channel.name, actionId: action.value, by, decision: action.action_id, ok: result.ok }, 'action decided in Slack');
    respond(result.text, result.ok && action.action_id !== 'snooze'); // a snooze leaves the decision open: keep the buttons
    return reply.code(200).send('');
  });
};

async function postResponse(url: string | undefined, origins: string[], body: unknown, log: Logger): Promise<void> {
  if (!url) return;
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return;
  }
  if (!origins.includes(origin)) {
    log.warn({ origin }, 'response_url outside Slack ignored');
    return;
  }
  try {
    await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000), redirect: 'error' });
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'Slack response_url failed');
  }
}
