import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AppError, errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';

/** The same approve/reject path as the CLI (`actions-approve` / `actions-reject`). */
export interface ApprovalPort {
  approve(actionId: string, by: string): Promise<{ status: string }>;
  reject(actionId: string, by: string, reason?: string): Promise<{ status: string }>;
}

export interface InteractionLog {
  /** Records an interaction id; false when it was seen before (a replay). */
  claimInteraction(interactionId: string, userId: string | null, customId: string | null, now: number): Promise<boolean>;
  setInteractionOutcome(interactionId: string, outcome: string): Promise<void>;
}

/** The issue buttons (Acknowledge, Snooze 1 h, Silence until resolved): the same service as issues-ack and silences-add. */
export interface IssueButtonPort {
  ack(issueId: string, by: string): Promise<unknown>;
  snooze(issueId: string, by: string): Promise<{ ends_at: number | null }>;
  silenceUntilResolved(issueId: string, by: string): Promise<unknown>;
}

export interface DiscordRouteDeps extends ApprovalPort {
  /** Absent: the issue buttons answer that they are not available. */
  issueButtons?: IssueButtonPort | undefined;
  /** The application's Ed25519 public key, 64 hex characters (Developer Portal). */
  applicationPublicKey: string;
  approverIds: string[];
  approverRoleIds: string[];
  interactions: InteractionLog;
  logger: Logger;
  now?: () => number;
  /** Older (or newer) X-Signature-Timestamp than this is refused, limiting replays of a captured request. */
  maxSkewMs?: number;
  /** Discord wants an answer within 3 s; a decision still running then is reported as in progress. */
  answerWithinMs?: number;
}

const User = z.object({ id: z.string().regex(/^\d{1,25}$/), username: z.string().max(100).optional(), global_name: z.string().max(100).nullable().optional() });
const Interaction = z.object({
  id: z.string().min(1).max(32),
  type: z.number().int(),
  data: z.object({ custom_id: z.string().max(100).optional(), component_type: z.number().optional() }).optional(),
  member: z.object({ user: User, roles: z.array(z.string()).default([]) }).optional(),
  user: User.optional(),
});

const EPHEMERAL = 64;
const CUSTOM_ID = /^(approve|reject|ack|snooze|silence):([A-Za-z0-9_-]{1,90})$/;
type Verb = 'approve' | 'reject' | 'ack' | 'snooze' | 'silence';

export function publicKeyFromHex(hex: string): KeyObject {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new AppError('CONFIG_INVALID', 'discord.bot.applicationPublicKey must be 64 hex characters');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex, 'hex').toString('base64url') }, format: 'jwk' });
}

/** Ed25519 over timestamp + raw body, as Discord signs it (PROTOCOLS §2.2). */
export function signatureValid(key: KeyObject, signatureHex: string | undefined, timestamp: string | undefined, raw: Buffer): boolean {
  if (!signatureHex || !timestamp || !/^[0-9a-fA-F]{128}$/.test(signatureHex) || !/^\d{1,20}$/.test(timestamp)) return false;
  try {
    return verify(null, Buffer.concat([Buffer.from(timestamp, 'utf8'), raw]), key, Buffer.from(signatureHex, 'hex'));
  } catch {
    return false;
  }
}

function ephemeral(content: string) {
  return { type: 4, data: { content, flags: EPHEMERAL, allowed_mentions: { parse: [] } } };
}

function update(content: string) {
  return { type: 7, data: { content, components: [], allowed_mentions: { parse: [] } } };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * POST /api/v1/discord/interactions: Discord's HTTP interactions endpoint for the Approve / Reject buttons.
 * A plugin is its own scope, so its raw-body parser (the signature covers the exact bytes Discord sent) stays here.
 */
export const discordInteractionRoutes: FastifyPluginAsync<DiscordRouteDeps> = async (scope, deps) => {
  const key = publicKeyFromHex(deps.applicationPublicKey);
  const now = deps.now ?? Date.now;
  const maxSkewMs = deps.maxSkewMs ?? 5 * 60_000;
  const answerWithinMs = deps.answerWithinMs ?? 2_500;
  const approvers = new Set(deps.approverIds);
  const approverRoles = new Set(deps.approverRoleIds);
  const log = deps.logger.child({ component: 'discord-interactions' });

  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 65_536 }, (_req, body, done) => done(null, body));

  scope.post('/api/v1/discord/interactions', async (request, reply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const timestamp = header(request.headers['x-signature-timestamp']);
    if (!signatureValid(key, header(request.headers['x-signature-ed25519']), timestamp, raw)) {
      return reply.code(401).send({ error: 'UNAUTHORIZED', message: 'invalid request signature' });
    }
    if (Math.abs(now() - Number(timestamp) * 1000) > maxSkewMs) {
      return reply.code(401).send({ error: 'UNAUTHORIZED', message: 'stale request timestamp' });
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return reply.code(400).send({ error: 'INPUT_INVALID', message: 'body is not JSON' });
    }
    const parsed = Interaction.safeParse(json);
    if (!parsed.success) return reply.code(400).send({ error: 'INPUT_INVALID', message: 'not an interaction' });
    const interaction = parsed.data;
    if (interaction.type === 1) return { type: 1 };
    if (interaction.type !== 3) return ephemeral('This interaction is not supported.');

    const user = interaction.member?.user ?? interaction.user;
    const customId = interaction.data?.custom_id ?? null;
    if (!(await deps.interactions.claimInteraction(interaction.id, user?.id ?? null, customId, now()))) {
      log.warn({ interactionId: interaction.id }, 'replayed interaction ignored');
      return ephemeral('This interaction was already handled.');
    }
    const match = customId ? CUSTOM_ID.exec(customId) : null;
    if (!match) return ephemeral('Unknown button.');
    const [, verb, actionId] = match as unknown as [string, Verb, string];
    const roles = interaction.member?.roles ?? [];
    const allowed = user !== undefined && (approvers.has(user.id) || roles.some((r) => approverRoles.has(r)));
    if (!allowed || !user) {
      await deps.interactions.setInteractionOutcome(interaction.id, 'refused');
      log.warn({ interactionId: interaction.id, userId: user?.id, actionId }, 'approval click from someone who is not an approver');
      return ephemeral(verb === 'approve' || verb === 'reject' ? 'You are not allowed to approve or reject actions.' : 'You are not allowed to acknowledge or silence issues.');
    }

    const name = (user.username ?? user.id).replace(/[^\w.-]/g, '').slice(0, 60) || user.id;
    const by = `discord:${name}`;
    if (verb === 'ack' || verb === 'snooze' || verb === 'silence') {
      const issueId = actionId;
      const port = deps.issueButtons;
      if (!port) return ephemeral('Acknowledging and silencing from Discord is not available on this agent.');
      try {
        let said: string;
        if (verb === 'ack') {
          await port.ack(issueId, by);
          said = `👤 Acknowledged by <@${user.id}> (${by}); reminders about ${issueId} stop.`;
        } else if (verb === 'snooze') {
          const s = await port.snooze(issueId, by);
          said = `💤 Snoozed by <@${user.id}> (${by}) until ${s.ends_at === null ? '?' : `<t:${Math.floor(s.ends_at / 1000)}:t>`}: no messages and no automatic actions for ${issueId}.`;
        } else {
          await port.silenceUntilResolved(issueId, by);
          said = `🔕 Silenced by <@${user.id}> (${by}) until ${issueId} resolves: no messages and no automatic actions.`;
        }
        await deps.interactions.setInteractionOutcome(interaction.id, `${verb}:ok`);
        log.info({ issueId, by, verb }, 'issue button clicked in Discord');
        return { type: 4, data: { content: said, allowed_mentions: { parse: [] } } };
      } catch (err) {
        await deps.interactions.setInteractionOutcome(interaction.id, `${verb}:error`);
        if (err instanceof AppError && err.code !== 'STORE_FAILED') return ephemeral(`⚠️ Not done: ${err.message.slice(0, 300)}`);
        log.error({ issueId, verb, err: errorMessage(err) }, 'issue button from Discord failed');
        return ephemeral(`Could not record it: ${errorMessage(err).slice(0, 300)}`);
      }
    }
    const decision = verb === 'approve' ? deps.approve(actionId, by) : deps.reject(actionId, by, 'rejected in Discord');
    const timer = new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), answerWithinMs).unref());
    const outcome = await Promise.race([decision.then((a) => ({ ok: true as const, a }), (err: unknown) => ({ ok: false as const, err })), timer]);
    const mention = `<@${user.id}>`;
    if (outcome === 'pending') {
      // The decision itself commits in milliseconds; what is still running is the approved action.
      decision.catch((err: unknown) => log.warn({ actionId, err: errorMessage(err) }, 'approval from Discord failed after the answer'));
      await deps.interactions.setInteractionOutcome(interaction.id, `${verb}:in-progress`);
      return update(
        verb === 'approve'
          ? `✅ Approved by ${mention} (${by}); the action is running. See the issue page for the result.`
          : `❌ Rejected by ${mention} (${by}).`,
      );
    }
    if (!outcome.ok) {
      const err = outcome.err;
      await deps.interactions.setInteractionOutcome(interaction.id, `${verb}:error`);
      if (err instanceof AppError && (err.code === 'CONFLICT' || err.code === 'NOT_FOUND' || err.code === 'ACTION_DENIED')) {
        return update(`⚠️ Not ${verb === 'approve' ? 'approved' : 'rejected'}: ${err.message}`);
      }
      log.error({ actionId, err: errorMessage(err) }, 'approval from Discord failed');
      return ephemeral(`Could not record your decision: ${errorMessage(err).slice(0, 300)}`);
    }
    await deps.interactions.setInteractionOutcome(interaction.id, `${verb}:${outcome.a.status}`);
    log.info({ actionId, by, decision: verb, status: outcome.a.status }, 'action decided in Discord');
    return update(
      verb === 'approve'
        ? `✅ Approved by ${mention} (${by}) — action ${actionId} is ${outcome.a.status}.`
        : `❌ Rejected by ${mention} (${by}) — action ${actionId} will not run.`,
    );
  });
};
