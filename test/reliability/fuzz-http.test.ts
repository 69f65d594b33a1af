import { generateKeyPairSync, sign } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { validateProposal } from '../../src/model/action-catalog.js';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent, type RunningAgent } from '../../src/main.js';
import { startFakeDiscord } from '../helpers/fake-discord.js';
import { fakeSystemctl } from '../helpers/fake-systemctl.js';
import { localToken } from '../helpers/local-token.js';
import { tempDir } from '../helpers/temp-store.js';
import { recordPart } from './figures.js';
import { hostileJsonText, hostileString, hostileValue, mutated } from './hostile-input.js';
import { SEED } from './support.js';

const ALICE = '1000000000000000042';
const MALLORY = '1000000000000000066';
const RUNS = Number(process.env.RELIABILITY_FUZZ_RUNS ?? 1);

interface Tally {
  inputs: number;
  accepted: number;
  refused: number;
  byStatus: Record<string, number>;
}

async function counts(agent: RunningAgent): Promise<string> {
  const row = await agent.store.db.get(
    `SELECT (SELECT COUNT(*) FROM issues) AS issues, (SELECT COUNT(*) FROM issue_comments) AS comments,
            (SELECT COUNT(*) FROM ingest_keys) AS keys, (SELECT COUNT(*) FROM actions) AS actions,
            (SELECT group_concat(status) FROM actions) AS action_statuses`,
  );
  return JSON.stringify(row);
}

async function setup() {
  const dir = tempDir('opsagent-fuzz-');
  const discord = await startFakeDiscord();
  const systemctl = fakeSystemctl(dir);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicKeyHex = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
  const config = defaultConfig({
    netdata: { url: '' },
    opsagent: { serverId: 'fuzz-agent', permissionLevel: 'limited', autoRemediate: false },
    server: { host: '127.0.0.1', port: 0, bodyLimitBytes: 262_144 },
    analysis: { enabled: false },
    discord: {
      webhookUrl: discord.webhookUrl,
      bot: { token: discord.botToken, applicationPublicKey: publicKeyHex, channelId: discord.channelId, approverIds: [ALICE], apiBaseUrl: discord.apiBaseUrl },
    },
    actions: { restartService: { command: systemctl.command }, killProcess: { allowedPids: [4_194_303] }, cleanupDisk: { roots: [dir] } },
  });
  const agent = await startAgent(config, silentLogger(), { dbUrl: `file:${join(dir, 'opsagent.db')}`, home: dir });
  const [r] = await agent.store.tracker.ingest([
    { server_id: 'fuzz-agent', name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'CRITICAL', value: 99, source: 'opsagent', occurred_at: Date.now() },
  ]);
  const issue = (await agent.store.issues.get(r!.issue_id!))!;
  const check = validateProposal({ type: 'restart_service', params: { service: 'fuzz-target.service' }, reason: 'fuzz' });
  if (!check.ok) throw new Error(check.reason);
  const [action] = await agent.remediation.handleProposals(issue, [check.proposal], null);
  expect(action).toMatchObject({ status: 'pending_approval' });
  return { agent, issue, action: action!, privateKey, systemctl, token: localToken(agent), stop: () => agent.stop() };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/**
 * Sends one input and checks the contract for untrusted input: never 5xx; a refusal is 4xx with `{error, message}`
 * and a one-line message, and stores nothing.
 */
async function probe(s: Setup, tally: Tally, request: InjectOptions): Promise<void> {
  const before = await counts(s.agent);
  const res = await s.agent.app.inject(request);
  tally.inputs++;
  tally.byStatus[res.statusCode] = (tally.byStatus[res.statusCode] ?? 0) + 1;
  if (res.statusCode >= 500) throw new Error(`HTTP ${res.statusCode} for ${String(request.url)}: ${res.body.slice(0, 500)}`);
  if (res.statusCode >= 400) {
    tally.refused++;
    const body = res.json<{ error: unknown; message: unknown }>();
    expect(typeof body.error).toBe('string');
    expect(typeof body.message).toBe('string');
    expect(String(body.message)).not.toMatch(/\n|\s+at .+:\d+:\d+/); // one line, no stack trace
    expect(await counts(s.agent)).toBe(before);
  } else {
    tally.accepted++;
  }
}

/** Steering routes (notes, status, approve) need the local token even on loopback: hostile input gets past it. */
const steer = (s: { token: string }, req: InjectOptions): InjectOptions => ({ ...req, headers: { ...(req.headers as Record<string, string>), authorization: `Bearer ${s.token}` } });

/** Percent-encodes every byte (lone surrogates become U+FFFD), so any string can travel in a path or query. */
const pct = (x: string): string => [...Buffer.from(x, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

const json = (url: string, payload: unknown): InjectOptions => ({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
const rawJson = (url: string, payload: string): InjectOptions => ({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });

const validEvent = { server_id: 'web-1', name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'WARNING', value: 91.5, units: '%', info: 'cpu high', event_key: 'k-1', occurred_at: 1_790_000_000_000 };
const validNetdata = { name: 'disk_full', chart: 'disk./', status: 'CRITICAL', unique_id: '7', alarm_id: '3', when: '1795783571', value: '97', units: '%', info: 'disk' };
const validAm = { status: 'firing', labels: { alertname: 'HighLoad', instance: 'web-2:9100', severity: 'critical' }, annotations: { summary: 'load' }, startsAt: '2026-01-01T00:00:00Z', endsAt: '0001-01-01T00:00:00Z', fingerprint: 'abc123' };

/** Distinct keys per run so a valid input is accepted as new, not as a duplicate of an earlier run. */
let seq = 0;
const fresh = <T extends Record<string, unknown>>(o: T, key: 'event_key' | 'unique_id' | 'fingerprint'): T => (typeof o[key] === 'string' && o[key] ? { ...o, [key]: `${String(o[key])}${++seq}` } : o);

function routeId(real: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(real) },
    { weight: 1, arbitrary: fc.constant(real.slice(0, 8)) },
    { weight: 3, arbitrary: hostileString.filter((s) => s.length < 2_000) },
  );
}

/** `{}`, `null` or `{"by": …}` is a real approval, not hostile input: the fuzzer must not approve the action. */
function isPlainApproval(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    return v === null || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).every((k) => k === 'by' || k === 'params_hash'));
  } catch {
    return false;
  }
}

const PARAMS = { seed: SEED, verbose: 0 } as const;

describe('fuzzing every webhook and API route with hostile input', () => {
  it('answers 4xx with nothing stored or 2xx, never 5xx, across thousands of inputs', async () => {
    const started = Date.now();
    const s = await setup();
    const tallies: Record<string, Tally> = {};
    const t = (name: string): Tally => (tallies[name] ??= { inputs: 0, accepted: 0, refused: 0, byStatus: {} });

    // POST /api/v1/alerts
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutated(validEvent).map((e) => json('/api/v1/alerts', fresh(e, 'event_key'))),
          fc.array(mutated(validEvent), { minLength: 1, maxLength: 5 }).map((a) => json('/api/v1/alerts', a.map((e) => fresh(e, 'event_key')))),
          hostileValue.map((v) => json('/api/v1/alerts', v)),
          hostileJsonText.map((text) => rawJson('/api/v1/alerts', text)),
          fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded').chain((ct) =>
            hostileString.map((p): InjectOptions => ({ method: 'POST', url: '/api/v1/alerts', headers: { 'content-type': ct }, payload: p })),
          ),
          fc.integer({ min: 262_145, max: 1_500_000 }).map((n) => rawJson('/api/v1/alerts', `{"name":"${'x'.repeat(n)}","status":"WARNING"}`)),
        ),
        (req) => probe(s, t('POST /api/v1/alerts'), req),
      ),
      { ...PARAMS, numRuns: 3_000 * RUNS },
    );

    // POST /api/v1/webhooks/netdata, form and JSON
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutated(validNetdata).map((v) => json('/api/v1/webhooks/netdata', fresh(v, 'unique_id'))),
          fc.dictionary(fc.string({ maxLength: 12 }), hostileString.filter((x) => x.length < 5_000), { maxKeys: 8 }).map(
            (vars): InjectOptions => ({ method: 'POST', url: '/api/v1/webhooks/netdata', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(vars).toString() }),
          ),
          mutated(validNetdata).map(
            (v): InjectOptions => ({
              method: 'POST',
              url: '/api/v1/webhooks/netdata',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              payload: new URLSearchParams(Object.entries(fresh(v, 'unique_id')).map(([k, x]): [string, string] => [k, typeof x === 'string' ? x : (JSON.stringify(x) ?? '')])).toString(),
            }),
          ),
          hostileValue.map((v) => json('/api/v1/webhooks/netdata', v)),
          hostileJsonText.map((text) => rawJson('/api/v1/webhooks/netdata', text)),
          hostileString.map((q): InjectOptions => ({ ...json('/api/v1/webhooks/netdata', fresh(validNetdata, 'unique_id')), url: `/api/v1/webhooks/netdata?server_id=${pct(q)}&extra=${pct(q)}` })),
        ),
        (req) => probe(s, t('POST /api/v1/webhooks/netdata'), req),
      ),
      { ...PARAMS, numRuns: 2_000 * RUNS },
    );

    // POST /api/v1/webhooks/alertmanager
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(mutated(validAm), { minLength: 1, maxLength: 4 }).map((alerts) => json('/api/v1/webhooks/alertmanager', { version: '4', status: 'firing', alerts: alerts.map((a) => fresh(a, 'fingerprint')) })),
          mutated({ version: '4', status: 'firing', receiver: 'opsagent', alerts: [validAm] }).map((p) => json('/api/v1/webhooks/alertmanager', p)),
          fc.dictionary(fc.string({ maxLength: 10 }), hostileString.filter((x) => x.length < 5_000)).map((labels) =>
            json('/api/v1/webhooks/alertmanager', { version: '4', alerts: [{ ...validAm, fingerprint: `fz${++seq}`, labels }] }),
          ),
          hostileValue.map((v) => json('/api/v1/webhooks/alertmanager', v)),
          hostileJsonText.map((text) => rawJson('/api/v1/webhooks/alertmanager', text)),
        ),
        (req) => probe(s, t('POST /api/v1/webhooks/alertmanager'), req),
      ),
      { ...PARAMS, numRuns: 800 * RUNS },
    );

    // POST /api/v1/issues/:id/comments and /status
    const issueRoute = (what: 'comments' | 'status', body: fc.Arbitrary<unknown>) =>
      fc.tuple(routeId(s.issue.id), fc.oneof(body, hostileValue)).map(([id, b]) => steer(s, json(`/api/v1/issues/${pct(id)}/${what}`, b)));
    await fc.assert(
      fc.asyncProperty(issueRoute('comments', mutated({ content: 'a note', author: 'fuzz' })), (req) => probe(s, t('POST /api/v1/issues/:id/comments'), req)),
      { ...PARAMS, numRuns: 500 * RUNS },
    );
    await fc.assert(
      fc.asyncProperty(issueRoute('status', mutated({ status: 'investigating', author: 'fuzz', reason: 'looking' })), (req) => probe(s, t('POST /api/v1/issues/:id/status'), req)),
      { ...PARAMS, numRuns: 500 * RUNS },
    );

    // POST /api/v1/actions/:id/approve: the real pending action only ever gets bodies that are not a plain approval
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(routeId(s.action.id), hostileValue.filter((v) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).some((k) => k !== 'by' && k !== 'params_hash'))).map(([id, b]) =>
            json(`/api/v1/actions/${pct(id)}/approve`, b),
          ),
          fc.tuple(hostileString.filter((x) => x.length < 2_000 && !s.action.id.startsWith(x)), mutated({ by: 'fuzz', params_hash: '0123456789abcdef' })).map(([id, b]) =>
            json(`/api/v1/actions/${pct(id)}/approve`, b),
          ),
          hostileJsonText.filter((text) => !isPlainApproval(text)).map((text) => rawJson(`/api/v1/actions/${s.action.id}/approve`, text)),
        ),
        (req) => probe(s, t('POST /api/v1/actions/:id/approve'), steer(s, req)),
      ),
      { ...PARAMS, numRuns: 500 * RUNS },
    );

    // POST /api/v1/discord/interactions: unsigned and signed hostile bodies; clicks only from a non-approver
    const signed = (payload: string, ts = String(Math.floor(Date.now() / 1000))): InjectOptions => ({
      method: 'POST',
      url: '/api/v1/discord/interactions',
      headers: { 'content-type': 'application/json', 'x-signature-ed25519': sign(null, Buffer.from(ts + payload), s.privateKey).toString('hex'), 'x-signature-timestamp': ts },
      payload,
    });
    const click = { id: '1300000000000000001', type: 3, application_id: '1200000000000000000', token: 't', member: { user: { id: MALLORY, username: 'mallory' }, roles: [] }, data: { custom_id: `approve:${s.action.id}`, component_type: 2 } };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutated(click)
            .filter((c) => JSON.stringify(c).includes(MALLORY) || !JSON.stringify(c).includes('approve:'))
            .map((c) => signed(JSON.stringify({ ...c, id: typeof c.id === 'string' ? `${c.id}${++seq}` : c.id }))),
          hostileValue.map((v) => signed(JSON.stringify(v) ?? 'null')),
          hostileJsonText.map((text) => signed(text)),
          hostileJsonText.map((text): InjectOptions => ({ method: 'POST', url: '/api/v1/discord/interactions', headers: { 'content-type': 'application/json', 'x-signature-ed25519': 'ab'.repeat(64), 'x-signature-timestamp': '1' }, payload: text })),
          hostileString.map((ts) => signed(JSON.stringify({ id: `9${++seq}`, type: 1 }), ts)),
        ),
        (req) => probe(s, t('POST /api/v1/discord/interactions'), req),
      ),
      { ...PARAMS, numRuns: 800 * RUNS },
    );

    // nothing polluted, nothing ran through a shell, the pending action is still pending, and the daemon still serves
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(existsSync('/tmp/opsagent-fuzz-pwned')).toBe(false);
    expect(s.systemctl.calls()).toEqual([]);
    expect((await s.agent.remediation.repository.get(s.action.id))?.status).toBe('pending_approval');
    expect((await s.agent.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await s.stop();

    const total = Object.values(tallies).reduce((a, x) => a + x.inputs, 0);
    recordPart({
      part: 'fuzz-http',
      title: 'property-based fuzzing of every webhook and API route (fast-check, in-process)',
      passed: true,
      durationMs: Date.now() - started,
      figures: {
        seed: SEED,
        inputsTried: total,
        answered5xx: 0,
        refusedWith4xx: Object.values(tallies).reduce((a, x) => a + x.refused, 0),
        acceptedAsValid: Object.values(tallies).reduce((a, x) => a + x.accepted, 0),
        ...Object.fromEntries(Object.entries(tallies).map(([route, x]) => [route, `${x.inputs} inputs: ${x.refused} refused (4xx), ${x.accepted} accepted`])),
      },
    });
  });
});
