import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Database from 'better-sqlite3';
import { onTestFinished } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { CLI, runCli } from './cli.js';
import { tempDir } from './temp-store.js';

export interface McpSetup {
  dir: string;
  db: string;
  config: string;
  cli: (args: string[], input?: string) => ReturnType<typeof runCli>;
  /** Rows of the real database file, read-only, as SQL users see them. */
  rows: (sql: string, ...args: unknown[]) => Record<string, unknown>[];
}

/** A config and database in a temp dir (Discord off unless the config names it), the CLI pointed at them. */
export function mcpSetup(config: string): McpSetup {
  const dir = tempDir();
  const db = join(dir, 'opsagent.db');
  const file = join(dir, 'opsagent.yaml');
  const discord = /^discord:/m.test(config) ? '' : 'discord: { enabled: false }\n';
  writeFileSync(file, `netdata: { url: "" }\n${discord}database: { url: "file:${db}" }\n${config}`);
  return {
    dir,
    db,
    config: file,
    cli: (args, input) => runCli(['--config', file, '--db', db, ...args], input === undefined ? {} : { input }),
    rows: (sql, ...args) => {
      const conn = new Database(db, { readonly: true, fileMustExist: true });
      try {
        return conn.prepare(sql).all(...args) as Record<string, unknown>[];
      } finally {
        conn.close();
      }
    },
  };
}

/** The SDK's real client on a spawned `opsagent mcp`, as Claude Desktop starts it; closed when the test finishes. */
export async function stdioClient(setup: McpSetup, name = 'test-assistant'): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, '--config', setup.config, '--db', setup.db, 'mcp'],
    env: { ...(process.env as Record<string, string>), OPSAGENT_CONFIG: '', OPSAGENT_DB_URL: '' },
    cwd: PACKAGE_ROOT,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name, version: '1.0.0' });
  onTestFinished(() => client.close());
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

/** The text of a tool result (every tool answers one text block). */
export function textOf(result: unknown): string {
  const r = result as CallToolResult;
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

export const alertEvent = (over: Record<string, unknown> = {}) => ({ name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'WARNING', value: 85, units: '%', ...over });
