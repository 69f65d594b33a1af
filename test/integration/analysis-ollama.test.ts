import { describe, expect, it } from 'vitest';
import { IssueAnalyzer } from '../../src/analysis/issue-analyzer.js';
import { analyzerSettingsFrom } from '../../src/analysis/settings.js';
import { defaultConfig } from '../../src/config/load.js';
import type { Issue } from '../../src/model/issue.js';
import { startFakeOllama, type FakeOllama } from '../helpers/fake-ollama.js';
import { openTempStore, tempDir } from '../helpers/temp-store.js';

async function cpuIssue(): Promise<Issue> {
  const store = await openTempStore();
  const [r] = await store.tracker.ingest([{ server_id: 'test-server', name: '10min_cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'WARNING', source: 'opsagent', occurred_at: Date.now() }]);
  return (await store.issues.get(r!.issue_id!))!;
}

/** The config an operator writes for a local Ollama (docs/analysis.md): its /v1 URL, any non-empty key, the model tag. */
function analyzerFor(ollama: FakeOllama, model = ollama.model): IssueAnalyzer {
  const config = defaultConfig({
    opsagent: { serverId: 'test-server', model },
    netdata: { url: '' },
    llm: { baseUrl: ollama.baseUrl, apiKey: 'ollama', timeoutSeconds: 5 },
    actions: { killProcess: { allowedPids: [process.pid] }, cleanupDisk: { roots: [tempDir()] } },
  });
  const settings = analyzerSettingsFrom(config, 'test-server');
  settings.gather.cpuSampleMs = 100;
  return new IssueAnalyzer(settings);
}

const SUBMIT = {
  name: 'submit_analysis',
  args: { summary: 'CPU is high', likelyCause: 'A busy process', evidence: ['from the fake'], confidence: 'medium', actions: [{ type: 'notify_human', params: { message: 'look' }, reason: 'r' }] },
};

describe("a local Ollama through the OpenAI-compatible path (Ollama's /v1/chat/completions)", () => {
  it.each(['string', 'object'] as const)('runs the tool loop when tool-call arguments arrive as a JSON %s', async (argumentsAs) => {
    const ollama = await startFakeOllama();
    ollama.script({ kind: 'tool_calls', calls: [{ name: 'get_memory', args: {} }], argumentsAs }, { kind: 'tool_calls', calls: [SUBMIT], argumentsAs });
    const result = await analyzerFor(ollama).analyse(await cpuIssue());

    expect(result).toMatchObject({ analyzer: 'llm', model: 'llama3.1:8b', summary: 'CPU is high', fallbackReason: null });
    expect(result.tokens).toEqual({ requests: 2, promptTokens: 2400, completionTokens: 300, totalTokens: 2700 });
    const messages = ollama.requests[1]!.messages as { role: string; tool_call_id?: string; content: string }[];
    const tool = messages.find((m) => m.role === 'tool')!;
    expect(tool.tool_call_id).toMatch(/^call_[a-z0-9x]{8}$/);
    expect(JSON.parse(tool.content)).toMatchObject({ untrusted_data_from: 'meminfo', data: { totalBytes: expect.any(Number) } });
  });

  it('falls back to the local rules, saying so, when the model is not pulled', async () => {
    const ollama = await startFakeOllama();
    const result = await analyzerFor(ollama, 'qwen2.5:7b').analyse(await cpuIssue());
    expect(result.analyzer).toBe('local');
    expect(result.fallbackReason).toContain('HTTP 404');
    expect(result.fallbackReason).toContain('model "qwen2.5:7b" not found, try pulling it first');
  });

  it('re-asks once when a small model answers in text, then falls back', async () => {
    const ollama = await startFakeOllama();
    ollama.script({ kind: 'text', content: 'The CPU is high because of a process.' }, { kind: 'text', content: 'Still text.' });
    const result = await analyzerFor(ollama).analyse(await cpuIssue());
    expect(result.analyzer).toBe('local');
    expect(result.fallbackReason).toContain('unusable twice');
    expect(ollama.requests).toHaveLength(2);
  });
});
