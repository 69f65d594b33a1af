import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { pagerDutyAction, pagerDutyBody } from './pagerduty.js';
import { ChannelRoute, globMatches } from './route.js';
import { slackBlocks, slackEscape } from './slack.js';
import { telegramEscape, telegramText } from './telegram.js';
import { CHANNEL_EVENT_VERSION, type ChannelEvent } from './types.js';
import { webhookSignature } from './webhook.js';

const target = (over: Partial<{ server: string; alertname: string; severity: string }> = {}) => ({
  server: 'web-1',
  alertname: 'disk_space_usage',
  context: 'disk.space',
  chart: 'disk_space._',
  severity: 'warning',
  source: 'netdata',
  labels: {},
  ...over,
});

function route(r: Record<string, unknown>, type = 'webhook') {
  const config = ConfigSchema.parse({ channels: [{ name: 'c', type, route: r }] });
  return new ChannelRoute(config.channels[0]!);
}

const event: ChannelEvent = {
  version: CHANNEL_EVENT_VERSION,
  event: 'action.approval_required',
  kind: 'approvals',
  at: 1_767_225_600_000,
  issue: { id: 'issue-1-abcdef', server_id: 'web-1', title: 'cpu <b>&</b>', severity: 'critical', status: 'open', value: '97.5%', alert_count: 3 },
  action: { id: 'act_01HX', action_type: 'restart_service', risk: 'medium', summary: 'restart_service service=nginx' },
  url: 'http://ops.example.test/issues/issue-1-abcdef',
  summary: 'Action requires approval',
};

describe('routes', () => {
  it('matches server globs on the whole id', () => {
    expect(globMatches('web-*', 'web-1')).toBe(true);
    expect(globMatches('web-*', 'db-web-1')).toBe(false);
    expect(globMatches('web-?', 'web-12')).toBe(false);
    expect(globMatches('db.1', 'dbx1')).toBe(false);
  });

  it('selects by severity, server, alert-name matchers and event kind', () => {
    const r = route({ minSeverity: 'critical', servers: ['web-*'], match: ['alertname=~"disk_.*"'], events: ['new', 'resolved'] });
    expect(r.accepts('new', target({ severity: 'critical' }))).toBe(true);
    expect(r.accepts('new', target())).toBe(false); // warning < critical
    expect(r.accepts('new', target({ severity: 'critical', server: 'db-1' }))).toBe(false);
    expect(r.accepts('new', target({ severity: 'critical', alertname: 'cpu_usage' }))).toBe(false);
    expect(r.accepts('escalated', target({ severity: 'critical' }))).toBe(false);
    expect(r.accepts('acknowledged', target({ severity: 'critical' }))).toBe(true); // travels with new
  });

  it('defaults to what each type can show', () => {
    expect(route({}, 'pagerduty').accepts('approvals', target())).toBe(false);
    expect(route({}, 'pagerduty').accepts('escalated', target())).toBe(true);
    expect(route({}, 'slack').accepts('resolved', target())).toBe(false); // an incoming webhook: attention events only
    expect(route({}, 'webhook').accepts('resolved', target())).toBe(true);
  });

  it('refuses a bad matcher, a bad glob, a duplicate name and approvals on PagerDuty, by path', () => {
    const r = ConfigSchema.safeParse({
      channels: [
        { name: 'a', type: 'webhook', route: { match: ['alertname=~"("'] } },
        { name: 'a', type: 'webhook', route: { servers: ['web 1'] } },
        { name: 'discord', type: 'slack' },
        { name: 'p', type: 'pagerduty', route: { events: ['approvals'] } },
        { name: 'x', type: 'sms' },
      ],
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['channels.0.route.match.0', 'channels.1.route.servers.0', 'channels.4.type']));
    const messages = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    expect(messages).toContain('invalid regular expression');
  });
});

describe('wire formats', () => {
  it('signs the webhook as v1=hex HMAC-SHA256(secret, timestamp.body)', () => {
    // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
    expect(webhookSignature('secret', 1_700_000_000, '{"a":1}')).toBe('v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686');
  });

  it('escapes alert text for Slack mrkdwn and Telegram HTML', () => {
    expect(slackEscape('<!channel> & <http://x|y>')).toBe('&lt;!channel&gt; &amp; &lt;http://x|y&gt;');
    expect(telegramEscape('<b>&</b>')).toBe('&lt;b&gt;&amp;&lt;/b&gt;');
    expect(telegramText(event)).toContain('cpu &lt;b&gt;&amp;&lt;/b&gt;');
  });

  it('puts Approve / Reject buttons carrying the action id, and Snooze carrying the issue id, on a Slack approval', () => {
    const { blocks, text } = slackBlocks(event);
    expect(text).toContain('restart_service service=nginx');
    const actions = blocks.find((b) => (b as { type: string }).type === 'actions') as { elements: { action_id: string; value: string; style: string }[] };
    expect(actions.elements.map((e) => [e.action_id, e.value, e.style])).toEqual([
      ['approve', 'act_01HX', 'primary'],
      ['reject', 'act_01HX', 'danger'],
      ['snooze', event.issue!.id, undefined],
    ]);
  });

  it('writes the CLI commands instead of buttons where nobody can click', () => {
    const { blocks } = slackBlocks(event, { buttons: false });
    expect(blocks.some((b) => (b as { type: string }).type === 'actions')).toBe(false);
    expect(JSON.stringify(blocks)).toContain('opsagent actions-approve act_01HX --by &lt;name&gt;');
    expect(telegramText(event, { buttons: false })).toContain('<code>opsagent actions-approve act_01HX --by &lt;name&gt;</code>');
  });

  it('maps changes to PagerDuty actions with the issue id as dedup_key', () => {
    expect(pagerDutyAction('new')).toBe('trigger');
    expect(pagerDutyAction('escalated')).toBe('trigger');
    expect(pagerDutyAction('acknowledged')).toBe('acknowledge');
    expect(pagerDutyAction('resolved')).toBe('resolve');
    expect(pagerDutyAction('approvals')).toBeUndefined();
    const trigger = pagerDutyBody('K'.repeat(32), { ...event, kind: 'new' }, 'trigger');
    expect(trigger).toMatchObject({ event_action: 'trigger', dedup_key: 'issue-1-abcdef', payload: { source: 'web-1', severity: 'critical' } });
    expect(pagerDutyBody('K'.repeat(32), event, 'resolve')).toEqual({ routing_key: 'K'.repeat(32), event_action: 'resolve', dedup_key: 'issue-1-abcdef' });
  });
});
