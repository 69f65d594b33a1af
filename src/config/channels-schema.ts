import { z } from 'zod';
import { AppError } from '../errors.js';
import { parseMatcher } from '../model/matchers.js';

/**
 * The `channels:` list (docs/channels.md): each a named channel of one type with its credentials (`${VAR}`) and a
 * route. The seed's `discord:` keys stay where they are and are the channel named `discord`.
 */
export const CHANNEL_TYPES = ['slack', 'telegram', 'pagerduty', 'webhook'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** What a route can select: the changes a channel hears about. */
export const ROUTE_EVENTS = ['new', 'escalated', 'resolved', 'approvals', 'digest'] as const;
export type RouteEvent = (typeof ROUTE_EVENTS)[number];

const matcherText = z.string().min(1).max(1_100).superRefine((text, ctx) => {
  try {
    parseMatcher(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof AppError ? err.message : String(err) });
  }
});

const serverGlob = z.string().min(1).max(253).regex(/^[A-Za-z0-9_.:*?-]+$/, 'a server id or a glob of * and ? (e.g. "web-*")');

const Route = z
  .strictObject({
    minSeverity: z.enum(['warning', 'critical']).default('warning'),
    servers: z.array(serverGlob).default([]), // [] = every server
    match: z.array(matcherText).default([]), // Alertmanager matchers, all must match (e.g. alertname=~"disk_.*")
    events: z.array(z.enum(ROUTE_EVENTS)).min(1).optional(), // default: everything the type can show
  })
  .prefault({});

const delivery = {
  enabled: z.boolean().default(true),
  route: Route,
  maxMessagesPerMinute: z.number().int().min(1).max(600).optional(), // default per type (docs/channels.md)
  timeoutMs: z.number().int().positive().default(10_000),
  backoff: z
    .strictObject({ baseMs: z.number().int().min(10).default(1_000), maxMs: z.number().int().min(10).default(300_000) })
    .prefault({}),
};

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _ (e.g. team-slack)');

const SlackChannel = z.strictObject({
  name,
  type: z.literal('slack'),
  token: z.string().default(''), // bot token xoxb-…: Web API, live messages, buttons
  channel: z.string().default(''), // channel id, e.g. C0123456789
  signingSecret: z.string().default(''), // verifies the Approve / Reject clicks
  approverIds: z.array(z.string().regex(/^[A-Z0-9]{2,20}$/, 'a Slack user id, e.g. U0123ABCD')).default([]),
  webhookUrl: z.string().default(''), // an incoming webhook instead of a bot token: new messages only, no edits
  apiBaseUrl: z.url().default('https://slack.com/api'),
  ...delivery,
});

const TelegramChannel = z.strictObject({
  name,
  type: z.literal('telegram'),
  token: z.string().default(''), // bot token from @BotFather
  chatId: z.union([z.string(), z.number().int()]).transform(String).default(''),
  webhookSecret: z.string().regex(/^([A-Za-z0-9_-]{1,256})?$/, '1–256 characters A-Z a-z 0-9 _ -').default(''), // setWebhook secret_token
  approverIds: z.array(z.union([z.string().regex(/^\d{1,20}$/), z.number().int().positive()]).transform(String)).default([]),
  apiBaseUrl: z.url().default('https://api.telegram.org'),
  ...delivery,
});

const PagerDutyChannel = z.strictObject({
  name,
  type: z.literal('pagerduty'),
  routingKey: z.string().default(''),
  apiBaseUrl: z.url().default('https://events.pagerduty.com'),
  ...delivery,
});

const WebhookChannel = z.strictObject({
  name,
  type: z.literal('webhook'),
  url: z.string().default(''),
  secret: z.string().default(''),
  ...delivery,
});

export const ChannelSchema = z.discriminatedUnion('type', [SlackChannel, TelegramChannel, PagerDutyChannel, WebhookChannel]);
export type ChannelConfig = z.infer<typeof ChannelSchema>;
export type SlackChannelConfig = z.infer<typeof SlackChannel>;
export type TelegramChannelConfig = z.infer<typeof TelegramChannel>;
export type PagerDutyChannelConfig = z.infer<typeof PagerDutyChannel>;
export type WebhookChannelConfig = z.infer<typeof WebhookChannel>;

function httpUrlProblem(value: string): string | undefined {
  if (value === '') return undefined;
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:' ? undefined : 'must be an http(s) URL';
  } catch {
    return 'must be an http(s) URL';
  }
}

export const ChannelsSchema = z
  .array(ChannelSchema)
  .max(50)
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>(['discord']);
    list.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: c.name === 'discord' ? '"discord" is the seed\'s discord: keys' : `"${c.name}" is used twice` });
      seen.add(c.name);
      const url = c.type === 'webhook' ? c.url : c.type === 'slack' ? c.webhookUrl : '';
      const problem = httpUrlProblem(url);
      if (problem) ctx.addIssue({ code: 'custom', path: [i, c.type === 'webhook' ? 'url' : 'webhookUrl'], message: problem });
      if (c.type === 'pagerduty' && c.route.events?.some((e) => e === 'approvals' || e === 'digest')) {
        ctx.addIssue({ code: 'custom', path: [i, 'route', 'events'], message: 'PagerDuty takes new, escalated and resolved (an incident per issue)' });
      }
      if (c.backoff.maxMs < c.backoff.baseMs) ctx.addIssue({ code: 'custom', path: [i, 'backoff', 'maxMs'], message: 'must be at least baseMs' });
    });
  });

/** The secret a channel cannot work without; '' = the channel is off (one warning line at start). */
export function missingSecretOf(c: ChannelConfig): string | undefined {
  switch (c.type) {
    case 'slack':
      return c.webhookUrl || (c.token && c.channel) ? undefined : 'token and channel (or webhookUrl)';
    case 'telegram':
      return c.token && c.chatId ? undefined : 'token and chatId';
    case 'pagerduty':
      return c.routingKey ? undefined : 'routingKey';
    case 'webhook':
      return c.url && c.secret ? undefined : 'url and secret';
  }
}

/** Every secret of the channels, for the masker (tokens, keys, signing secrets, webhook URLs). */
export function channelSecrets(list: readonly ChannelConfig[]): string[] {
  return list.flatMap((c) => {
    switch (c.type) {
      case 'slack':
        return [c.token, c.signingSecret, c.webhookUrl];
      case 'telegram':
        return [c.token, c.webhookSecret];
      case 'pagerduty':
        return [c.routingKey];
      case 'webhook':
        return [c.secret];
    }
  });
}
