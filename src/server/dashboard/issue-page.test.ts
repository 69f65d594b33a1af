import { describe, expect, it } from 'vitest';
import type { IssueDetailView } from './api-client.js';
import { bucketFirings } from './firing-chart.js';
import { chartInput, issueRegion } from './issue-page.js';

const NOW = 1_700_000_600_000;
const evil = '<img src=x onerror=alert(1)>';

function detail(): IssueDetailView {
  return {
    id: 'issue-1-abc', server_id: 'web-1', alert_fingerprint: '0123456789abcdef', title: `cpu ${evil}`, description: evil,
    severity: 'critical', status: 'open', source: 'netdata', first_seen_at: NOW - 600_000, last_seen_at: NOW - 60_000, resolved_at: null,
    alert_count: 205, metadata: { fingerprint_inputs: { name: 'cpu_usage', context: 'system.cpu', chart: evil } },
    comments: [
      { id: 1, author_type: 'agent', author_name: null, comment_type: 'alert_fired', content: 'Alert first detected', metadata: { occurred_at: NOW - 600_000, count: 1 }, created_at: NOW - 590_000 },
      { id: 2, author_type: 'agent', author_name: null, comment_type: 'alert_fired', content: 'Alert fired 100 more times', metadata: { occurred_at: NOW - 60_000, count: 200, rollup: { from: 101, to: 200 } }, created_at: NOW - 60_000 },
      { id: 3, author_type: 'agent', author_name: null, comment_type: 'status_change', content: 'Status changed to resolved', metadata: { status: 'resolved' }, created_at: NOW - 300_000 },
      {
        id: 4, author_type: 'agent', author_name: 'local', comment_type: 'analysis', content: 'analysis text',
        metadata: { summary: `Summary ${evil}`, likelyCause: 'a runaway process', evidence: [`load 9.1 ${evil}`, 'stress uses 99% CPU'], confidence: 'high', proposedActions: [{ type: 'kill_process', params: { pid: 42, name: 'stress' }, reason: 'hog' }] },
        created_at: NOW - 200_000,
      },
    ],
    actions: [{ id: 'act-1', action_type: 'kill_process', risk: 'medium', status: 'succeeded', params: { pid: 42 }, success: true, output: evil, executed_at: NOW - 100_000, decided_by: 'bob' }],
  };
}

describe('issue page', () => {
  it('escapes every text from alerts, the analysis and actions', () => {
    const out = issueRegion(detail(), NOW).toString();
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out).toContain('stress uses 99% CPU');
    expect(out).toContain('a runaway process');
    expect(out).toMatch(/<li class="action" data-action-id="act-1" data-status="succeeded">/);
  });

  it('shows runbook_url as a link only for http(s), the annotations, and the matching local runbook, all escaped', () => {
    const base = detail();
    const withRunbook: IssueDetailView = {
      ...base,
      metadata: { ...base.metadata, annotations: { runbook_url: 'https://runbooks.example/cpu', summary: `CPU ${evil}` } },
      runbook: { file: 'cpu.md', title: `High CPU ${evil}`, body: `1. check top ${evil}`, actions: ['restart_service'] },
    };
    const out = issueRegion(withRunbook, NOW).toString();
    expect(out).toContain('<a href="https://runbooks.example/cpu"');
    expect(out).toContain('cpu.md · proposes restart_service');
    expect(out).toContain('1. check top &lt;img');
    expect(out).not.toContain('<img');
    const hostile = issueRegion({ ...withRunbook, metadata: { ...base.metadata, annotations: { runbook_url: 'javascript:alert(1)' } } }, NOW).toString();
    expect(hostile).not.toContain('href="javascript');
    expect(hostile).toContain('<code>javascript:alert(1)</code>');
  });

  it('charts roll-ups with their weight, clears and executed actions', () => {
    const input = chartInput(detail(), [
      { id: 'act-1', executedAt: NOW - 100_000, outcome: 'succeeded', status: 'succeeded', type: 'kill_process' } as never,
    ], NOW);
    expect(input.firings).toEqual([{ at: NOW - 600_000, count: 1 }, { at: NOW - 60_000, count: 100 }]);
    expect(input.clears).toEqual([NOW - 300_000]);
    expect(input.actions).toEqual([{ at: NOW - 100_000, label: 'kill_process (succeeded)', ok: true }]);
    const buckets = bucketFirings(input.firings, NOW - 600_000, NOW, 10);
    expect(buckets.reduce((a, b) => a + b, 0)).toBe(101);
    expect(buckets[0]).toBe(1);
    expect(buckets[9]).toBe(100);
  });
});
