import { generateKeyPairSync, sign } from 'node:crypto';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { validateProposal } from '../../src/model/action-catalog.js';
import { defaultConfig } from '../../src/config/load.js';
import { setupNotifications } from '../../src/pipeline/notifications.js';
import { wirePipeline } from '../../src/pipeline/wire.js';
import { Remediation } from '../../src/pipeline/remediation.js';
import { buildApp } from '../../src/server/app.js';
import { discordInteractionRoutes } from '../../src/server/routes/discord.js';
import { NotificationRepository } from '../../src/store/notification-repository.js';
import { startFakeDiscord } from '../helpers/fake-discord.js';
import { openTempStore } from '../helpers/temp-store.js';

const ALICE = '1000000000000000042'; // an approver by id
const BOB = '1000000000000000043'; // an approver by role
const MALLORY = '1000000000000000066'; // not an approver
const OPS_ROLE = '1110000000000000007';

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return { privateKey, publicKeyHex: Buffer.from(jwk.x!, 'base64url').toString('hex') };
}

async function setup() {
  const keys = keyPair();
  const discord = await startFakeDiscord();
  const store = await openTempStore();
  let clock = Date.now();
  const now = () => clock;
  const config = defaultConfig({
    opsagent: { serverId: 'test-server' },
    server: { publicUrl: 'http://ops.example.test' },
    actions: { approvalTimeoutMinutes: 5 },
    discord: {
      webhookUrl: discord.webhookUrl,
      bot: {
        token: discord.botToken,
        applicationPublicKey: keys.publicKeyHex,
        channelId: discord.channelId,
        approverIds: [ALICE],
        approverRoleIds: [OPS_ROLE],
        apiBaseUrl: discord.apiBaseUrl,
      },
    },
  });
  const logger = pino({ level: 'silent' });
  const remediation = new Remediation({ ...store, config, logger, executeApproved: false, now });
  const repo = new NotificationRepository(store.db);
  const notify = setupNotifications({ config, repo, logger, senderOptions: { lingerMs: 20, pollMs: 200 } });
  wirePipeline({ tracker: store.tracker, remediation, notifications: notify.hooks, silences: store.silences }, { handOff: 'record-only' });
  notify.sender!.start();
  onTestFinished(() => notify.sender!.stop());
  const app = await buildApp({ logger, apiToken: 'a-token-that-guards-every-other-api-route' });
  await app.register(discordInteractionRoutes, {
    applicationPublicKey: keys.publicKeyHex,
    approverIds: [ALICE],
    approverRoleIds: [OPS_ROLE],
    interactions: repo,
    logger,
    now,
    approve: (id, by) => remediation.approve(id, by),
    reject: (id, by, reason) => remediation.reject(id, by, reason),
    issueButtons: {
      ack: (issueId, by) => store.silences.ack(issueId, by),
      snooze: (issueId, by) => store.silences.snooze(issueId, by),
      silenceUntilResolved: (issueId, by) => store.silences.silenceUntilResolved(issueId, by),
    },
  });
  onTestFinished(() => app.close());

  const [r] = await store.tracker.ingest([
    { server_id: 'test-server', name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'CRITICAL', value: 99, units: '%', source: 'opsagent', occurred_at: clock },
  ]);
  const issue = (await store.issues.get(r!.issue_id!))!;
  const check = validateProposal({ type: 'kill_process', params: { pid: 4242, name: 'buggy-app' }, reason: 'runaway CPU' });
  if (!check.ok) throw new Error(check.reason);
  const [action] = await remediation.handleProposals(issue, [check.proposal]);

  let seq = 0;
  const click = async (options: { userId?: string; roles?: string[]; verb?: 'approve' | 'reject'; customId?: string; id?: string; timestamp?: number; forge?: boolean; unsigned?: boolean; body?: object } = {}) => {
    const body =
      options.body ??
      {
        id: options.id ?? `13000000000000000${String(++seq).padStart(2, '0')}`,
        application_id: '1200000000000000000',
        type: 3,
        version: 1,
        token: 'interaction-token',
        channel_id: discord.channelId,
        member: { user: { id: options.userId ?? ALICE, username: 'alice' }, roles: options.roles ?? [] },
        data: { custom_id: options.customId ?? `${options.verb ?? 'approve'}:${action!.id}`, component_type: 2 },
        message: { id: '1290000000000000000', channel_id: discord.channelId, components: [] },
      };
    const raw = JSON.stringify(body);
    const ts = String(Math.floor((options.timestamp ?? clock) / 1000));
    const signer = options.forge ? keyPair().privateKey : keys.privateKey;
    const signature = sign(null, Buffer.from(ts + raw), signer).toString('hex');
    return app.inject({
      method: 'POST',
      url: '/api/v1/discord/interactions',
      headers: options.unsigned
        ? { 'content-type': 'application/json' }
        : { 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': ts },
      payload: raw,
    });
  };
  return { discord, store, remediation, repo, issue, action: action!, click, advance: (ms: number) => (clock += ms) };
}

describe('Discord approvals', () => {
  it('posts the approval with buttons through the bot and approves exactly once from an allowed click', async () => {
    const t = await setup();
    expect(t.action.status).toBe('pending_approval');
    const deadline = Date.now() + 10_000;
    // The critical issue's live card goes to the webhook; the approval request is the bot's message with buttons.
    while (!t.discord.messages.some((m) => m.via === 'bot') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const posted = t.discord.messages.find((m) => m.via === 'bot');
    expect(posted?.via).toBe('bot');
    expect(posted?.headers.authorization).toBe(`Bot ${t.discord.botToken}`);
    expect(String(posted?.headers['user-agent'])).toMatch(/^DiscordBot \(/);
    expect(posted?.body.content).toBe('⚠️ Action requires approval: kill_process');
    expect(posted?.body.allowed_mentions).toEqual({ parse: [] });
    expect(JSON.stringify(posted?.body.components)).toContain(`"custom_id":"approve:${t.action.id}"`);
    expect(JSON.stringify(posted?.body.components)).toContain(`"custom_id":"reject:${t.action.id}"`);

    const ping = await t.click({ body: { id: '1', type: 1, application_id: '1', token: 't', version: 1 } });
    expect(ping.statusCode).toBe(200);
    expect(ping.json()).toEqual({ type: 1 });

    const res = await t.click({ userId: ALICE });
    expect(res.statusCode).toBe(200);
    const answer = res.json<{ type: number; data: { content: string; components: unknown[]; allowed_mentions: unknown } }>();
    expect(answer.type).toBe(7);
    expect(answer.data.content).toContain(`Approved by <@${ALICE}>`);
    expect(answer.data.components).toEqual([]);
    expect(answer.data.allowed_mentions).toEqual({ parse: [] });
    const approved = await t.remediation.repository.get(t.action.id);
    expect(approved?.status).toBe('approved');
    expect(approved?.decided_by).toBe('discord:alice');

    const second = await t.click({ userId: BOB, roles: [OPS_ROLE] });
    expect(second.json<{ type: number; data: { content: string } }>().data.content).toContain('Not approved');
    expect((await t.remediation.repository.get(t.action.id))?.decided_by).toBe('discord:alice');
  });

  it('refuses a forged signature, a stale timestamp and a missing signature with 401', async () => {
    const t = await setup();
    expect((await t.click({ forge: true })).statusCode).toBe(401);
    expect((await t.click({ timestamp: Date.now() - 10 * 60_000 })).statusCode).toBe(401);
    expect((await t.click({ unsigned: true })).statusCode).toBe(401);
    expect((await t.remediation.repository.get(t.action.id))?.status).toBe('pending_approval');
    expect((await t.click()).statusCode).toBe(200); // the control: the same click correctly signed works
    expect((await t.remediation.repository.get(t.action.id))?.status).toBe('approved');
  });

  it('answers a click from someone who is not an approver with an ephemeral refusal', async () => {
    const t = await setup();
    const res = await t.click({ userId: MALLORY, roles: ['999'] });
    expect(res.statusCode).toBe(200);
    const answer = res.json<{ type: number; data: { flags: number; content: string } }>();
    expect(answer.type).toBe(4);
    expect(answer.data.flags).toBe(64);
    expect((await t.remediation.repository.get(t.action.id))?.status).toBe('pending_approval');
  });

  it('lets an approver by role reject, and ignores a replayed interaction', async () => {
    const t = await setup();
    const first = await t.click({ userId: BOB, roles: [OPS_ROLE], verb: 'reject', id: '1300000000000000777' });
    expect(first.json<{ type: number; data: { content: string } }>().data.content).toContain(`Rejected by <@${BOB}>`);
    expect((await t.remediation.repository.get(t.action.id))?.status).toBe('rejected');
    const replay = await t.click({ userId: BOB, roles: [OPS_ROLE], verb: 'approve', id: '1300000000000000777' });
    const answer = replay.json<{ type: number; data: { flags: number; content: string } }>();
    expect(answer.type).toBe(4);
    expect(answer.data.content).toContain('already handled');
    expect((await t.remediation.repository.get(t.action.id))?.status).toBe('rejected');
  });

  it('does not approve an expired action', async () => {
    const t = await setup();
    t.advance(6 * 60_000);
    const res = await t.click({ userId: ALICE });
    const answer = res.json<{ type: number; data: { content: string } }>();
    expect(answer.type).toBe(7);
    expect(answer.data.content).toContain('expired');
    expect((await t.remediation.repository.get(t.action.id))?.status).toBe('expired');
  });

  it('acknowledges and snoozes from the buttons beside Approve / Reject, with the approvers\' rule, once per click', async () => {
    const t = await setup();
    const deadline = Date.now() + 10_000;
    while (!t.discord.messages.some((m) => m.via === 'bot') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const components = JSON.stringify(t.discord.messages.find((m) => m.via === 'bot')?.body.components);
    for (const id of [`ack:${t.issue.id}`, `snooze:${t.issue.id}`, `silence:${t.issue.id}`]) expect(components).toContain(`"custom_id":"${id}"`);

    const refused = await t.click({ userId: MALLORY, customId: `ack:${t.issue.id}` });
    expect(refused.json<{ data: { content: string } }>().data.content).toBe('You are not allowed to acknowledge or silence issues.');
    expect(await t.store.silences.repository.ackOf(t.issue.id)).toBeUndefined();

    const ack = await t.click({ userId: ALICE, customId: `ack:${t.issue.id}`, id: '1300000000000000900' });
    expect(ack.json<{ data: { content: string } }>().data.content).toContain(`Acknowledged by <@${ALICE}> (discord:alice)`);
    expect(await t.store.silences.repository.ackOf(t.issue.id)).toMatchObject({ acknowledged_by: 'discord:alice' });
    const replay = await t.click({ userId: ALICE, customId: `ack:${t.issue.id}`, id: '1300000000000000900' });
    expect(replay.json<{ data: { content: string } }>().data.content).toBe('This interaction was already handled.');

    const snooze = await t.click({ userId: BOB, roles: [OPS_ROLE], customId: `snooze:${t.issue.id}` });
    expect(snooze.json<{ data: { content: string } }>().data.content).toContain('💤 Snoozed by');
    const silences = await t.store.silences.listSilences();
    expect(silences).toHaveLength(1);
    expect(silences[0]).toMatchObject({ kind: 'snooze', issue_id: t.issue.id, created_by: 'discord:alice', state: 'active' });
    // The live card shows who owns the issue and that it is snoozed (an edit, not a new message).
    const cardEdited = async () => t.discord.messages.some((m) => JSON.stringify(m.body.embeds ?? []).includes('Acknowledged by discord:alice') && JSON.stringify(m.body.embeds ?? []).includes('💤 Snoozed until'));
    while (!(await cardEdited()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await cardEdited()).toBe(true);
  });
});
