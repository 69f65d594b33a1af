import type { ChannelConfig } from '../../config/channels-schema.js';
import { PagerDutyChannel } from './pagerduty.js';
import { SlackApiChannel, SlackWebhookChannel } from './slack.js';
import { TelegramChannel } from './telegram.js';
import type { Channel } from './types.js';
import { WebhookChannel } from './webhook.js';

/** Requests per minute per channel when the config gives none: under each service's published limit. */
export const DEFAULT_PER_MINUTE: Record<ChannelConfig['type'], number> = { slack: 50, telegram: 20, pagerduty: 100, webhook: 120 };

/** The adapter of one configured (enabled) channel. */
export function buildChannel(c: ChannelConfig): Channel {
  switch (c.type) {
    case 'slack':
      return c.token && c.channel
        ? new SlackApiChannel(c.name, { token: c.token, channel: c.channel, apiBaseUrl: c.apiBaseUrl, timeoutMs: c.timeoutMs, buttons: c.signingSecret !== '' })
        : new SlackWebhookChannel(c.name, { url: c.webhookUrl, timeoutMs: c.timeoutMs });
    case 'telegram':
      return new TelegramChannel(c.name, { token: c.token, chatId: c.chatId, apiBaseUrl: c.apiBaseUrl, timeoutMs: c.timeoutMs, buttons: c.webhookSecret !== '' });
    case 'pagerduty':
      return new PagerDutyChannel(c.name, { routingKey: c.routingKey, apiBaseUrl: c.apiBaseUrl, timeoutMs: c.timeoutMs });
    case 'webhook':
      return new WebhookChannel(c.name, { url: c.url, secret: c.secret, timeoutMs: c.timeoutMs });
  }
}
