import { AppError, UpstreamError } from '../errors.js';
import { composeMessage } from '../notify/compose.js';
import { collectDigest, digestEmbeds, digestText } from '../notify/digest.js';
import { DiscordClient, type SendOutcome } from '../notify/discord-client.js';
import { publicUrlOf } from '../pipeline/notifications.js';
import { NotificationRepository } from '../store/notification-repository.js';
import { printJson, type CliContext } from './context.js';

async function post(client: DiscordClient, body: Parameters<DiscordClient['postWebhook']>[0]): Promise<SendOutcome> {
  let outcome = await client.postWebhook(body);
  if (outcome.kind === 'rate_limited' && outcome.retryAfterMs <= 30_000) {
    await new Promise((r) => setTimeout(r, outcome.kind === 'rate_limited' ? outcome.retryAfterMs : 0));
    outcome = await client.postWebhook(body);
  }
  return outcome;
}

export async function digest(ctx: CliContext, opts: { hours: number; send?: boolean; json?: boolean }): Promise<void> {
  const store = await ctx.store();
  const repo = new NotificationRepository(store.db);
  const render = { publicUrl: publicUrlOf(ctx.config) };
  const data = await collectDigest(repo, Date.now(), opts.hours);
  if (opts.json) printJson(data);
  else process.stdout.write(`${digestText(data, render)}\n`);
  if (!opts.send) return;
  const discord = ctx.config.discord;
  if (!discord.enabled || !discord.webhookUrl) {
    throw new AppError('CONFIG_INVALID', 'cannot send the digest: discord is disabled or discord.webhookUrl is empty (set DISCORD_WEBHOOK_URL)');
  }
  const client = new DiscordClient({ webhookUrl: discord.webhookUrl, timeoutMs: discord.timeoutMs });
  const at = Date.now();
  const message = composeMessage(
    [{ id: 0, channel: 'webhook', attempts: 0, created_at: at, payload: { kind: 'digest', title: 'Daily digest', embeds: digestEmbeds(data, render), at } }],
    render,
    { aggregate: false, username: discord.username },
  )!;
  const outcome = await post(client, message.body);
  if (outcome.kind !== 'sent') {
    const why = outcome.kind === 'rate_limited' ? `rate limited for ${Math.ceil(outcome.retryAfterMs / 1000)} s` : outcome.error;
    throw new UpstreamError(`cannot send the digest to Discord: ${why}`);
  }
  if (!opts.json) process.stdout.write('Digest sent to Discord.\n');
}
