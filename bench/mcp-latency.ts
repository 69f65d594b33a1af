import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { defaultConfig } from '../src/config/load.js';
import { openStore } from '../src/main.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { procStatusMb, startChildDaemon } from './child-daemon.js';
import { fill } from './query-latency.js';

const BIN = join(PACKAGE_ROOT, 'dist/bin/opsagent.js');

function percentile(sorted: number[], p: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 100) / 100;
}

async function timed(runs: number, fn: (i: number) => Promise<unknown>): Promise<{ p50Ms: number; p99Ms: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
}

/**
 * MCP latency, through the SDK's own client as assistants use it: `opsagent mcp` (the shipped bundle) from spawn to
 * the initialize answer, tool calls on a filled database over stdio, and on a running daemon over HTTP the first
 * /mcp request (which loads the SDK), the idle memory before and after it, and tool calls.
 */
export async function runMcpLatencyBench(options: { issues?: number; comments?: number; calls?: number } = {}) {
  const issues = options.issues ?? 100_000;
  const calls = options.calls ?? 200;
  const dir = mkdtempSync(join(tmpdir(), 'opsagent-bench-mcp-'));
  try {
    const db = join(dir, 'bench.db');
    const store = await openStore(defaultConfig({ opsagent: { serverId: 'bench' } }), { dbUrl: `file:${db}` });
    await store.db.close();
    const ids = fill(db, issues, options.comments ?? issues * 10);
    const config = join(dir, 'opsagent.yaml');
    writeFileSync(config, `netdata: { url: "" }\ndiscord: { enabled: false }\nanalysis: { enabled: false }\n`);
    const env = { ...(process.env as Record<string, string>), OPSAGENT_CONFIG: '', OPSAGENT_DB_URL: '' };

    const starts: number[] = [];
    let client: Client | undefined;
    for (let round = 0; round < 5; round++) {
      await client?.close();
      const t = performance.now();
      client = new Client({ name: 'bench', version: '1' });
      await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, '--config', config, '--db', db, 'mcp'], env, stderr: 'ignore' }));
      starts.push(performance.now() - t);
    }
    starts.sort((a, b) => a - b);
    const stdio = {
      startMedianMs: percentile(starts, 50),
      listIssues: await timed(calls, () => client!.callTool({ name: 'list_issues', arguments: { limit: 50 } })),
      showIssue: await timed(calls, (i) => client!.callTool({ name: 'show_issue', arguments: { id: ids[(i * 7919) % ids.length]! } })),
      listPending: await timed(calls, () => client!.callTool({ name: 'list_pending_approvals', arguments: {} })),
    };
    await client!.close();

    const daemon = await startChildDaemon('discord: { enabled: false }\nanalysis: { enabled: false }\n');
    try {
      const token = readFileSync(join(daemon.dir, 'api-token'), 'utf8').trim();
      await fetch(`${daemon.base}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'cpu', status: 'WARNING' }) });
      await new Promise((r) => setTimeout(r, 1_000));
      const rssBeforeMb = procStatusMb(daemon.child.pid, 'VmRSS');
      const connect = async () => {
        const c = new Client({ name: 'bench', version: '1' });
        const t = performance.now();
        await c.connect(new StreamableHTTPClientTransport(new URL(`${daemon.base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
        return { c, ms: performance.now() - t };
      };
      const first = await connect();
      const warm: number[] = [];
      for (let i = 0; i < 10; i++) {
        const s = await connect();
        warm.push(s.ms);
        await s.c.close();
      }
      warm.sort((a, b) => a - b);
      const http = {
        firstInitializeMs: Math.round(first.ms),
        warmInitializeMedianMs: percentile(warm, 50),
        rssBeforeMb,
        listIssues: await timed(calls, () => first.c.callTool({ name: 'list_issues', arguments: {} })),
        rssAfterMb: procStatusMb(daemon.child.pid, 'VmRSS'),
      };
      await first.c.close();
      return { issues, calls, stdio, http };
    } finally {
      await daemon.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const issues = Number(process.env.BENCH_MCP_ISSUES ?? 100_000);
  console.log(JSON.stringify(await runMcpLatencyBench({ issues }), null, 2));
}
