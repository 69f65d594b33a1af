import { clip, facts, headline, summaryLine, summaryTitle } from './event-text.js';
import { parseJson, retryAfterMs, send, trimBase } from './http.js';
import type { Channel, ChannelEvent, DeliveryOutcome } from './types.js';

/** Slack's `ok:false` errors that no retry can fix: the token, the app's scopes or the channel (docs/channels.md). */
const FATAL_ERRORS = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive', 'missing_scope', 'channel_not_found', 'not_in_channel', 'is_archived', 'no_permission', 'ekm_access_denied']);
/** The live message cannot be edited any more: post a fresh one. */
const GONE_ERRORS = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);

/** Slack mrkdwn: &, < and > are the only characters to escape (so alert text cannot ping @channel or fake a link). */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The Block Kit message of an event: header, facts, a link, and Approve / Reject for an approval request. */
export function slackBlocks(e: ChannelEvent, options: { buttons?: boolean } = {}): { text: string; blocks: unknown[] } {
  const text = clip(headline(e), 3_000);
  const fields = facts(e).slice(0, 10).map(([k, v]) => ({ type: 'mrkdwn', text: clip(`*${k}*\n${slackEscape(v)}`, 2_000) }));
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(text, 150), emoji: true } },
  ];
  const description = e.issue?.description ? slackEscape(e.issue.description) : e.kind === 'digest' ? slackEscape(`\`\`\`${(e.text ?? e.summary).replace(/`/g, "'")}\`\`\``) : '';
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(description || slackEscape(e.summary), 3_000) }, ...(fields.length > 0 ? { fields } : {}) });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(`<${e.url}|Open in OpsAgent>${e.issue ? ` · opsagent issues-show ${slackEscape(e.issue.id)}` : ''}`, 3_000) }] });
  if (e.kind === 'approvals' && e.action && (options.buttons === false || e.action.id.length > 200)) {
    // Nobody can click (no signing secret, an incoming webhook): say how to decide instead.
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: slackEscape(`Approve: opsagent actions-approve ${e.action.id} --by <name>\nReject: opsagent actions-reject ${e.action.id} --by <name>`) } });
  } else if (e.kind === 'approvals' && e.action) {
    blocks.push({
      type: 'actions',
      block_id: clip(`act_${e.action.id}`, 255),
      elements: [
        { type: 'button', action_id: 'approve', value: e.action.id, style: 'primary', text: { type: 'plain_text', text: 'Approve' } },
        { type: 'button', action_id: 'reject', value: e.action.id, style: 'danger', text: { type: 'plain_text', text: 'Reject' } },
        ...(e.issue ? [{ type: 'button', action_id: 'snooze', value: e.issue.id, text: { type: 'plain_text', text: 'Snooze 1 h' } }] : []),
      ],
    });
  }
  return { text, blocks };
}

/** A storm summary in Block Kit: a header and sections of one line per issue (≤ 3000 characters each). */
export function slackSummary(events: ChannelEvent[], dashboardUrl: string): { text: string; blocks: unknown[] } {
  const text = summaryTitle(events);
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: clip(text, 150), emoji: true } }];
  let chunk: string[] = [];
  const flush = () => {
    if (chunk.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk.join('\n') } });
    chunk = [];
  };
  for (const e of events) {
    const line = slackEscape(summaryLine(e));
    if ([...chunk, line].join('\n').length > 2_900) flush();
    chunk.push(line);
  }
  flush();
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `<${dashboardUrl}|Open the dashboard>` }] });
  return { text, blocks };
}

function dashboardOf(e: ChannelEvent | undefined): string {
  return e ? e.url.replace(/\/issues\/[^/]*$/, '/') : '';
}

/** Slack's Web API with a bot token: chat.postMessage for a new message, chat.update for the issue's live message. */
export class SlackApiChannel implements Channel {
  readonly type = 'slack';
  readonly live = true;
  readonly name: string;
  readonly #o: { token: string; channel: string; apiBaseUrl: string; timeoutMs: number; buttons: boolean };

  /** buttons: clicks can be verified (a signing secret is configured); otherwise approvals carry the CLI commands. */
  constructor(name: string, options: { token: string; channel: string; apiBaseUrl: string; timeoutMs: number; buttons: boolean }) {
    this.name = name;
    this.#o = { ...options, apiBaseUrl: trimBase(options.apiBaseUrl) };
  }

  readonly summaryMax = 45;

  deliverSummary(events: ChannelEvent[]): Promise<DeliveryOutcome> {
    return this.#call('chat.postMessage', { channel: this.#o.channel, unfurl_links: false, unfurl_media: false, ...slackSummary(events, dashboardOf(events[0])) });
  }

  async deliver(e: ChannelEvent, ref: string | undefined): Promise<DeliveryOutcome> {
    const message = slackBlocks(e, { buttons: this.#o.buttons });
    // An approval request is its own message (a person must click it); everything else is the issue's live message.
    const editRef = e.kind === 'approvals' ? undefined : ref;
    if (editRef) {
      const [channel, ts] = splitRef(editRef);
      return this.#call('chat.update', { channel, ts, ...message });
    }
    return this.#call('chat.postMessage', { channel: this.#o.channel, unfurl_links: false, unfurl_media: false, ...message });
  }

  async #call(method: string, body: Record<string, unknown>): Promise<DeliveryOutcome> {
    const answer = await send(
      `${this.#o.apiBaseUrl}/${method}`,
      { headers: { Authorization: `Bearer ${this.#o.token}`, 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) },
      this.#o.timeoutMs,
      'Slack',
    );
    if (typeof answer === 'string') return { kind: 'retry', error: answer };
    if (answer.status === 429) return { kind: 'rate_limited', retryAfterMs: retryAfterMs(answer.headers) ?? 1_000, error: 'Slack answered HTTP 429 ratelimited' };
    if (answer.status >= 500) return { kind: 'retry', error: `Slack answered HTTP ${answer.status}` };
    const json = parseJson(answer.text) as { ok?: unknown; error?: unknown; channel?: unknown; ts?: unknown } | undefined;
    if (answer.status === 401 || answer.status === 403 || answer.status === 404) return { kind: 'fatal', status: answer.status, error: `Slack answered HTTP ${answer.status} to ${method}` };
    if (json?.ok === true) {
      const ts = typeof json.ts === 'string' ? json.ts : undefined;
      const channel = typeof json.channel === 'string' ? json.channel : String(body.channel);
      return ts ? { kind: 'sent', ref: `${channel}:${ts}` } : { kind: 'sent' };
    }
    const error = typeof json?.error === 'string' ? json.error.slice(0, 100) : `HTTP ${answer.status} ${answer.text.slice(0, 100)}`;
    const said = `Slack ${method}: ${error}`;
    if (error === 'ratelimited') return { kind: 'rate_limited', retryAfterMs: retryAfterMs(answer.headers) ?? 1_000, error: said };
    if (FATAL_ERRORS.has(error)) return { kind: 'fatal', status: answer.status, error: said };
    if (GONE_ERRORS.has(error)) return { kind: 'gone', error: said };
    if (error === 'internal_error' || error === 'fatal_error' || error === 'service_unavailable' || error === 'request_timeout') return { kind: 'retry', error: said };
    return { kind: 'rejected', error: said };
  }
}

function splitRef(ref: string): [string, string] {
  const at = ref.indexOf(':');
  return [ref.slice(0, at), ref.slice(at + 1)];
}

/** Slack's incoming webhooks: a team without an app. No message id comes back, so no edits: attention events only. */
export class SlackWebhookChannel implements Channel {
  readonly type = 'slack-webhook';
  readonly live = false;
  readonly name: string;
  readonly #url: string;
  readonly #timeoutMs: number;

  constructor(name: string, options: { url: string; timeoutMs: number }) {
    this.name = name;
    this.#url = options.url;
    this.#timeoutMs = options.timeoutMs;
  }

  async deliver(e: ChannelEvent): Promise<DeliveryOutcome> {
    const body = slackBlocks(e, { buttons: false }); // without an app nobody can click
    const answer = await send(this.#url, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }, this.#timeoutMs, 'Slack');
    if (typeof answer === 'string') return { kind: 'retry', error: answer };
    const said = `Slack webhook answered HTTP ${answer.status}${answer.text ? `: ${answer.text.slice(0, 100)}` : ''}`;
    if (answer.status >= 200 && answer.status < 300) return { kind: 'sent' };
    if (answer.status === 429) return { kind: 'rate_limited', retryAfterMs: retryAfterMs(answer.headers) ?? 1_000, error: said };
    if (answer.status >= 500) return { kind: 'retry', error: said };
    if (answer.status === 403 || answer.status === 404 || answer.status === 410 || answer.status === 401) return { kind: 'fatal', status: answer.status, error: said };
    return { kind: 'rejected', error: said };
  }
}
