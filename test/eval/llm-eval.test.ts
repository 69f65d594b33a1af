import { describe, expect, it } from 'vitest';
import { loadCases } from '../../eval/case.js';
import { runEval } from '../../eval/run-eval.js';
import type { LlmSettings } from '../../src/analysis/llm-agent.js';
import { startFakeLlm } from '../helpers/fake-llm.js';

const submit = (args: Record<string, unknown>) => ({ kind: 'tool_calls' as const, calls: [{ name: 'submit_analysis', args: { evidence: [], confidence: 'high', ...args } }] });

describe('the eval through the LLM analyser (a fake OpenAI-compatible server)', () => {
  it('scores the model, counts its tokens and fails the run where it kills the wrong process', async () => {
    const llm = await startFakeLlm();
    const cases = loadCases().filter((c) => ['cpu-runaway-script', 'cpu-two-busy-processes', 'unit-failed-service'].includes(c.id));
    expect(cases).toHaveLength(3);
    const settings: LlmSettings = { baseUrl: llm.baseUrl, apiKey: llm.apiKey, model: llm.model, requestTimeoutMs: 5_000, overallTimeoutMs: 15_000, maxSteps: 4, maxCompletionTokens: 1024 };
    // Cases run in file order: cpu-runaway-script, cpu-two-busy-processes, unit-failed-service.
    llm.script(
      { kind: 'tool_calls', calls: [{ name: 'get_top_processes', args: {} }] },
      submit({ summary: "python3 (PID 41234) spins a core", likelyCause: "Process 'python3' (PID 41234) at 97% CPU", actions: [{ type: 'kill_process', params: { pid: 41234, name: 'python3' }, reason: 'runaway' }] }),
      submit({ summary: 'gzip is busy', likelyCause: "'gzip' PID 43022 compresses", actions: [{ type: 'kill_process', params: { pid: 43022, name: 'gzip' }, reason: 'busy' }] }),
      submit({ summary: 'nginx.service failed', likelyCause: 'nginx.service cannot bind port 80', actions: [{ type: 'restart_service', params: { service: 'nginx.service' }, reason: 'failed' }] }),
    );
    const summary = await runEval(cases, { llm: settings, iterations: 1 });

    expect(summary.runs.map((r) => [r.id, r.analyzer, r.score.passed])).toEqual([
      ['cpu-runaway-script', 'llm', true],
      ['cpu-two-busy-processes', 'llm', false],
      ['unit-failed-service', 'llm', true],
    ]);
    // gzip exists and may be killed, so the checks let it through: the score catches the wrong culprit and action.
    expect(summary.runs[1]!.score.failures).toEqual([
      'culprit not named: PID 43010, ffmpeg',
      'expected kill_process {"pid":43010,"name":"ffmpeg"}, got kill_process {"pid":43022,"name":"gzip","signal":"SIGTERM","startTime":100000}',
      'forbidden: kill_process {"pid":43022,"name":"gzip","signal":"SIGTERM","startTime":100000}',
    ]);
    expect(summary.passRate).toBeCloseTo(2 / 3);
    expect(summary.promptTokens).toBe(4 * 800);
    expect(summary.completionTokens).toBe(4 * 100);
    // The model's tool call read the recorded machine, not this one.
    const toolAnswer = JSON.stringify(llm.requests[1]!.body.messages);
    expect(toolAnswer).toContain('41234');
    expect(toolAnswer).toContain('crunch.py');
  });

  it('counts a run the local rules had to answer (an upstream error) as a failure of the model', async () => {
    const llm = await startFakeLlm();
    const cases = loadCases().filter((c) => c.id === 'cpu-runaway-script');
    llm.script({ kind: 'error', status: 500, type: 'server_error' });
    const summary = await runEval(cases, { llm: { baseUrl: llm.baseUrl, apiKey: llm.apiKey, model: llm.model, requestTimeoutMs: 5_000, overallTimeoutMs: 10_000, maxSteps: 2, maxCompletionTokens: 512 } });
    expect(summary.runs[0]).toMatchObject({ analyzer: 'local', score: { passed: false } });
    expect(summary.runs[0]!.score.failures[0]).toContain('the local rules answered: the LLM answered HTTP 500');
  });
});
