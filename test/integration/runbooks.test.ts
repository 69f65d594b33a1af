import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { startAgent } from '../../src/main.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-store.js';

function runbookFolder(files: Record<string, string>): string {
  const dir = join(tempDir(), 'runbooks');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const cpuRunbook = (root: string) => `---
title: High CPU on the web tier
match: ['alertname="HighCPU"', 'label.instance=~"web-.*"']
actions:
  - { type: cleanup_disk, params: { path: ${JSON.stringify(root)} }, reason: the CPU spike follows a full temp dir }
---
# High CPU on the web tier
1. Look at the top processes.
`;

describe('runbooks', () => {
  it('runbooks-check names every problem on its own line and exits 1; a valid folder exits 0', async () => {
    const bad = runbookFolder({
      'a-valid.md': cpuRunbook('/tmp/x'),
      'b-no-front-matter.md': '# just text\n',
      'c-bad-matcher.md': "---\nmatch: ['severity~critical']\n---\n",
      'd-unknown-action.md': "---\nmatch: ['alertname=a']\nactions: [{ type: reboot }]\n---\n",
      'e-bad-params.md': "---\nmatch: ['alertname=a']\nactions: [{ type: restart_service, params: { service: '-x' } }]\n---\n",
    });
    const r = await runCli(['runbooks-check', bad]);
    expect(r.code).toBe(1);
    const problems = r.stderr.trim().split('\n');
    expect(problems).toEqual([
      expect.stringMatching(/^opsagent: b-no-front-matter\.md: no YAML front matter/),
      expect.stringMatching(/^opsagent: c-bad-matcher\.md: matcher "severity~critical"/),
      expect.stringMatching(/^opsagent: d-unknown-action\.md: actions\.0 \(reboot\): unknown action type "reboot"/),
      expect.stringMatching(/^opsagent: e-bad-params\.md: actions\.0 \(restart_service\): invalid parameters/),
    ]);
    expect(r.stdout).toContain('a-valid.md: "High CPU on the web tier"');

    const good = runbookFolder({ 'cpu.md': cpuRunbook('/tmp/x') });
    const ok = await runCli(['runbooks-check', good]);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain('1 runbook in');
  });

  it('shows the matching runbook and runbook_url on the issue and proposes its action through the permission gate', async () => {
    const root = tempDir('opsagent-runbook-root-');
    const dir = runbookFolder({ 'cpu.md': cpuRunbook(root), 'zz-other.md': "---\nmatch: ['alertname=Other']\n---\nother\n" });
    const config = defaultConfig({
      netdata: { url: '' },
      opsagent: { serverId: 'agent-host', permissionLevel: 'readonly' },
      server: { host: '127.0.0.1', port: 0 },
      discord: { enabled: false },
      runbooks: { dir },
      actions: { cleanupDisk: { roots: [root], olderThanDays: 1 } },
      analysis: { logFiles: [] },
    });
    const dbPath = join(tempDir(), 'opsagent.db');
    const agent = await startAgent(config, silentLogger(), { dbUrl: `file:${dbPath}` });
    onTestFinished(() => agent.stop());
    const res = await fetch(`${agent.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // server_id: this machine, so the analysis looks at it and its proposals may act here.
      body: JSON.stringify([{ labels: { alertname: 'HighCPU', instance: 'web-1:9100', server_id: 'agent-host', severity: 'critical' }, annotations: { runbook_url: 'https://runbooks.example/high-cpu', summary: 'CPU high' } }]),
    });
    expect(res.status).toBe(200);
    const [issue] = await agent.store.issues.list();
    const detail = (await (await fetch(`${agent.url}/api/v1/issues/${issue!.id}`)).json()) as { runbook?: { title: string; file: string; actions: string[] }; metadata: { annotations: Record<string, string> } };
    expect(detail.runbook).toMatchObject({ title: 'High CPU on the web tier', file: 'cpu.md', actions: ['cleanup_disk'] });
    expect(detail.metadata.annotations.runbook_url).toBe('https://runbooks.example/high-cpu');
    const cfg = join(tempDir(), 'opsagent.yaml');
    writeFileSync(cfg, `netdata: { url: "" }\nrunbooks: { dir: ${JSON.stringify(dir)} }\n`);
    const shown = await runCli(['issues-show', issue!.id, '--config', cfg, '--db', `file:${dbPath}`]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('runbook_url: https://runbooks.example/high-cpu');
    expect(shown.stdout).toContain('High CPU on the web tier — cpu.md (proposes cleanup_disk)');
    expect(shown.stdout).toContain('summary: CPU high');
    expect(shown.stdout).toMatch(/Alert activations[^\n]*\n {2}[0-9a-f]{16} {2}since [^;]+; live, ends /);

    // The local analyser runs (no API key); the runbook's action joins its proposals and meets the gate: readonly denies.
    const deadline = Date.now() + 30_000;
    let actions = await agent.store.actions.listForIssue(issue!.id);
    while (!actions.some((a) => a.action_type === 'cleanup_disk') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      actions = await agent.store.actions.listForIssue(issue!.id);
    }
    const fromRunbook = actions.find((a) => a.action_type === 'cleanup_disk');
    expect(fromRunbook).toMatchObject({ status: 'denied' });
    expect(JSON.stringify(fromRunbook)).toContain('Runbook \\"High CPU on the web tier\\"');
  });
});
