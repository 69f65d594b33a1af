import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { startAgent } from '../../src/main.js';
import { CLI, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-store.js';
import { IS_ROOT, requirePeer, ROOT_MISSING, skipWithout } from '../helpers/peers.js';

function config(apiToken = '') {
  return defaultConfig({ netdata: { url: '' }, server: { host: '127.0.0.1', port: 0, apiToken }, opsagent: { serverId: 'token-host' }, analysis: { enabled: false }, discord: { enabled: false } });
}

function captureLog(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', pretty: false, destination }), text: () => chunks.join('') };
}

const json = { 'content-type': 'application/json' };
const note = (url: string, issueId: string, token?: string) =>
  fetch(`${url}/api/v1/issues/${issueId}/comments`, { method: 'POST', headers: { ...json, ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ content: 'a note' }) });

describe('the local API token (no server.apiToken)', () => {
  it('is created at first start with mode 0600 beside the database, never logged, reused after a restart, and printed by `opsagent token`', async () => {
    const dir = tempDir();
    const db = join(dir, 'opsagent.db');
    const { logger, text } = captureLog();
    const first = await startAgent(config(), logger, { dbUrl: `file:${db}` });
    const file = join(dir, 'api-token');
    expect(first.tokenFile).toBe(file);
    const st = statSync(file);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(process.getuid!());
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readdirSync(dir).filter((f) => f.includes('api-token'))).toEqual(['api-token']); // no temporary file left

    // ingest needs nothing; steering needs the token
    const ingest = await fetch(`${first.url}/api/v1/alerts`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'cpu_usage', status: 'WARNING' }) });
    expect(ingest.status).toBe(202);
    const issueId = ((await ingest.json()) as { results: { issue_id: string }[] }).results[0]!.issue_id;
    expect((await note(first.url, issueId)).status).toBe(401);
    expect((await note(first.url, issueId, 'x'.repeat(43))).status).toBe(401);
    expect((await note(first.url, issueId, token)).status).toBe(201);
    await first.stop();
    expect(text()).toContain('created the local API token');
    expect(text()).toContain(file);
    expect(text()).not.toContain(token);

    const second = await startAgent(config(), silentLogger(), { dbUrl: `file:${db}` });
    onTestFinished(() => second.stop());
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
    expect((await note(second.url, issueId, token)).status).toBe(201);

    const printed = await runCli(['--db', db, 'token']);
    expect(printed).toMatchObject({ code: 0, stdout: `${token}\n`, stderr: '' });
    expect((await runCli(['--db', db, 'token', '--path'])).stdout).toBe(`${file}\n`);
    const none = await runCli(['--db', join(dir, 'elsewhere', 'x.db'), 'token']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^opsagent: no local API token at .*elsewhere\/api-token yet: the agent creates it when it first starts/);
  });

  it('refuses to start with a token file other users can read, and says what to do', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'api-token'), `${'k'.repeat(43)}\n`, { mode: 0o644 });
    chmodSync(join(dir, 'api-token'), 0o644);
    await expect(startAgent(config(), silentLogger(), { dbUrl: `file:${join(dir, 'opsagent.db')}` })).rejects.toThrow(
      /api-token can be read by other users \(mode 644\); delete it and restart the agent to make a new one/,
    );
    expect(existsSync(join(dir, 'opsagent.db'))).toBe(false); // refused before anything was opened
  });

  it('writes no token file when server.apiToken is the credential', async () => {
    const dir = tempDir();
    const a = await startAgent(config('a-configured-token-0123456789abcdef'), silentLogger(), { dbUrl: `file:${join(dir, 'opsagent.db')}` });
    onTestFinished(() => a.stop());
    expect(a.tokenFile).toBeUndefined();
    expect(existsSync(join(dir, 'api-token'))).toBe(false);
  });

  it.skipIf(skipWithout(IS_ROOT))('a local user who cannot read the file cannot get the token (run as nobody)', async () => {
    requirePeer(IS_ROOT, ROOT_MISSING);
    const dir = tempDir();
    chmodSync(dir, 0o755); // the directory is listable, as a data directory often is; the file is not readable
    const a = await startAgent(config(), silentLogger(), { dbUrl: `file:${join(dir, 'opsagent.db')}` });
    onTestFinished(() => a.stop());
    const configFile = join(dir, 'netdata.yaml');
    writeFileSync(configFile, 'netdata: { url: "" }\n', { mode: 0o644 });
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, '--config', configFile, '--db', join(dir, 'opsagent.db'), 'token'], { uid: 65534, gid: 65534, env: { PATH: process.env.PATH ?? '' }, cwd: '/' });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^opsagent: cannot read the local API token .*api-token: only the agent's user may/);
  });
});
