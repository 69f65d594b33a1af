import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent } from '../../src/main.js';
import { startFakeLlm, submit, type FakeReply } from '../helpers/fake-llm.js';
import { tempDir } from '../helpers/temp-store.js';
import { recordPart } from './figures.js';
import { until } from './support.js';

/** Each fault, the replies it takes from the fake (an unusable answer is re-asked once), and what the comment must say. */
const FAULTS: { name: string; replies: FakeReply[] }[] = [
  { name: 'hangs past the request timeout', replies: [{ kind: 'hang' }] },
  { name: 'answers 500', replies: [{ kind: 'error', status: 500, type: 'server_error' }] },
  { name: 'answers 503 engine overloaded', replies: [{ kind: 'error', status: 503, type: 'engine_overloaded_error' }] },
  { name: 'answers 429 with a long Retry-After', replies: [{ kind: 'error', status: 429, type: 'rate_limit_reached_error', headers: { 'retry-after': '3600' } }] },
  { name: 'has no quota left', replies: [{ kind: 'error', status: 429, type: 'exceeded_current_quota_error' }] },
  { name: 'answers 401', replies: [{ kind: 'error', status: 401, type: 'invalid_authentication_error' }] },
  { name: 'returns plain-text garbage twice', replies: [{ kind: 'text', content: '\u0000\u0007 lorem ipsum }}}{{{ <|im_end|>' }, { kind: 'text', content: 'I cannot comply.' }] },
  { name: 'is cut off twice', replies: [{ kind: 'length' }, { kind: 'length' }] },
  { name: 'sends broken tool arguments twice', replies: [{ kind: 'tool_calls', calls: [{ name: 'submit_analysis', args: '{"summary": ' }] }, { kind: 'tool_calls', calls: [{ name: 'submit_analysis', args: '[[[' }] }] },
  { name: 'submits the wrong schema twice', replies: [{ kind: 'tool_calls', calls: [submit({ confidence: 42, summary: { nested: true } })] }, { kind: 'tool_calls', calls: [submit({ actions: 'rm -rf /' })] }] },
];

describe('the LLM hanging, failing and returning garbage', () => {
  it('falls back to the local analyser for every fault, records why, and uses the model again once it recovers', async () => {
    const started = Date.now();
    const llm = await startFakeLlm();
    const dir = tempDir('opsagent-fault-llm-');
    const config = defaultConfig({
      netdata: { url: '' },
      opsagent: { serverId: 'llm-fault', permissionLevel: 'readonly' },
      server: { host: '127.0.0.1', port: 0 },
      discord: { enabled: false },
      llm: { apiKey: llm.apiKey, baseUrl: llm.baseUrl, timeoutSeconds: 1, maxCallsPerHour: 1_000 },
      analysis: { gatherTimeoutMs: 2_000, logFiles: [] },
      actions: { cleanupDisk: { roots: [dir] }, killProcess: { allowedPids: [4_194_303] }, logAnalysis: { useJournal: false } },
    });
    const agent = await startAgent(config, silentLogger(), { dbUrl: `file:${join(dir, 'opsagent.db')}`, home: dir });
    onTestFinished(() => agent.stop());

    const analyse = async (name: string) => {
      const res = await fetch(`${agent.url}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, status: 'CRITICAL', value: 97, units: '%' }) });
      expect(res.status).toBe(202);
      const { results } = (await res.json()) as { results: { issue_id: string }[] };
      const issueId = results[0]!.issue_id;
      const comment = await until(
        `the analysis of ${name}`,
        async () => (await agent.store.issues.comments(issueId)).find((c) => c.comment_type === 'analysis'),
        20_000,
        100,
      );
      return { issueId, meta: comment.metadata as { analyzer: string; fallbackReason: string | null; summary: string } };
    };

    const outcomes: string[] = [];
    for (const [i, fault] of FAULTS.entries()) {
      llm.script(...fault.replies);
      const { meta } = await analyse(`llm_fault_${i}`);
      expect({ fault: fault.name, analyzer: meta.analyzer, fallbackReason: meta.fallbackReason, hasSummary: meta.summary.length > 0 }).toEqual({
        fault: fault.name,
        analyzer: 'local',
        fallbackReason: expect.any(String),
        hasSummary: true,
      });
      outcomes.push(`${fault.name} → local analysis ("${String(meta.fallbackReason).slice(0, 80)}")`);
    }

    // recovered: the next issue gets the model's analysis
    llm.script({ kind: 'tool_calls', calls: [submit()] });
    const recovered = await analyse('llm_recovered');
    expect(recovered.meta.analyzer).toBe('llm');
    expect((await fetch(`${agent.url}/healthz`)).status).toBe(200);
    const issues = await agent.store.issues.list({ statuses: ['open', 'investigating', 'resolved', 'closed'] });
    expect(issues).toHaveLength(FAULTS.length + 1);

    recordPart({
      part: 'fault-llm',
      title: 'the LLM hanging, failing and returning garbage',
      passed: true,
      durationMs: Date.now() - started,
      figures: { faults: FAULTS.length, issuesAnalysedDespiteFault: FAULTS.length, recoveredToLlm: true, llmRequests: llm.requests.length, outcomes },
    });
  });
});
