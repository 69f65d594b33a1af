import { errorMessage } from '../../errors.js';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { buttonHandlers, deciderName, runButton, type ButtonRouteDeps } from './channel-buttons.js';
import type { ButtonVerb } from '../../notify/channels/types.js';

export interface TelegramInteractionChannel {
  name: string;
  webhookSecret: string;
  approverIds: string[];
  /** answerCallbackQuery on this channel's bot (always called, or the client shows a progress bar). */
  answer(callbackQueryId: string, text: string): Promise<void>;
  /** Removes the buttons of a decided request (editMessageReplyMarkup), so nobody clicks a stale one. */
  clearButtons(chatId: number, messageId: number): Promise<void>;
}

export interface TelegramRouteDeps extends ButtonRouteDeps {
  channels: TelegramInteractionChannel[];
}

/** callback_data prefixes → verbs (notify/channels/telegram.ts writes them). A new button adds its prefix here. */
const VERB_OF: Record<string, ButtonVerb> = { ap: 'approve', rj: 'reject', sz: 'snooze' };

const Update = z.object({
  update_id: z.number().int(),
  callback_query: z
    .object({
      id: z.string().max(100),
      from: z.object({ id: z.number().int(), username: z.string().max(100).optional(), first_name: z.string().max(200).optional() }),
      data: z.string().max(64).optional(),
      message: z.object({ message_id: z.number().int(), chat: z.object({ id: z.number().int() }) }).optional(),
    })
    .optional(),
});

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * POST /api/v1/telegram/webhook: the URL given to setWebhook with a secret_token. The header
 * X-Telegram-Bot-Api-Secret-Token picks the channel (a wrong or missing one is 401); each update_id is handled
 * once (Telegram redelivers until it gets a 2xx); Approve / Reject come as callback queries.
 */
export const telegramWebhookRoutes: FastifyPluginAsync<TelegramRouteDeps> = async (scope, deps) => {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'telegram-webhook' });
  const handlers = deps.handlers ?? buttonHandlers(deps.approvals, deps.snoozer, 'Telegram');
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 262_144 }, (_req, body, done) => done(null, body));

  scope.post('/api/v1/telegram/webhook', async (request, reply) => {
    const given = request.headers['x-telegram-bot-api-secret-token'];
    const secret = Array.isArray(given) ? given[0] : given;
    const channel = secret ? deps.channels.find((c) => c.webhookSecret !== '' && same(c.webhookSecret, secret)) : undefined;
    if (!channel) return reply.code(401).send({ error: 'UNAUTHORIZED', message: 'missing or wrong X-Telegram-Bot-Api-Secret-Token' });
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return reply.code(400).send({ error: 'INPUT_INVALID', message: 'body is not JSON' });
    }
    const parsed = Update.safeParse(json);
    if (!parsed.success) return reply.code(400).send({ error: 'INPUT_INVALID', message: 'not a Telegram Update' });
    const u = parsed.data;
    const q = u.callback_query;
    if (!(await deps.interactions.claimInteraction(channel.name, `update:${u.update_id}`, q ? String(q.from.id) : null, now()))) {
      log.warn({ channel: channel.name, updateId: u.update_id }, 'replayed Telegram update ignored');
      return reply.code(200).send({});
    }
    if (!q) return reply.code(200).send({}); // messages to the bot: nothing to do
    const m = /^([a-z]{2}):([A-Za-z0-9_-]{1,60})$/.exec(q.data ?? '');
    const verb = m ? VERB_OF[m[1]!] : undefined;
    const outcome = async (text: string, what: string) => {
      await deps.interactions.setInteractionOutcome(channel.name, `update:${u.update_id}`, what);
      // The decision is recorded: a bot call that fails (an old message, the network) must not turn it into a 500.
      await channel.answer(q.id, text.slice(0, 200)).catch((err: unknown) => log.warn({ channel: channel.name, err: errorMessage(err) }, 'answerCallbackQuery failed'));
      return reply.code(200).send({});
    };
    if (!m || !verb) return outcome('Unknown button.', 'unknown');
    const userId = String(q.from.id);
    if (!channel.approverIds.includes(userId)) {
      log.warn({ channel: channel.name, userId, actionId: m[2] }, 'approval click from someone who is not an approver');
      return outcome('You are not allowed to approve or reject actions.', 'refused');
    }
    const by = deciderName('telegram', q.from.username, userId);
    const result = await runButton(handlers, verb, m[2]!, by, { answerWithinMs: deps.answerWithinMs ?? 2_000, logger: log });
    log.info({ channel: channel.name, actionId: m[2], by, decision: verb, ok: result.ok }, 'action decided in Telegram');
    if (q.message && verb !== 'snooze') {
      // a snooze leaves the decision open, so its buttons stay
      await channel.clearButtons(q.message.chat.id, q.message.message_id).catch((err: unknown) => log.warn({ channel: channel.name, err: errorMessage(err) }, 'clearing the buttons failed'));
    }
    return outcome(result.text, `${verb}:${result.ok ? 'ok' : 'refused'}`);
  });
};
