import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../paths.js';
import { parseConfig } from './load.js';

describe('config', () => {
  it('accepts the shipped file unchanged, with Discord disabled by one warning when its secret is empty', () => {
    const text = readFileSync(join(PACKAGE_ROOT, 'config/netdata.yaml'), 'utf8');
    const { config, warnings } = parseConfig(text, 'config/netdata.yaml', {});
    expect(config.netdata).toMatchObject({ url: 'http://localhost:19999', pollInterval: 30 });
    expect(config.opsagent).toMatchObject({ model: 'kimi-k2.5', permissionLevel: 'limited', autoRemediate: false });
    expect(config.discord.enabled).toBe(false);
    expect(warnings).toEqual(['discord: no webhookUrl (DISCORD_WEBHOOK_URL is empty); Discord notifications are off']);
  });

  it('fills ${VAR} from the environment', () => {
    const { config, warnings } = parseConfig('discord:\n  webhookUrl: "${HOOK}"\nllm:\n  apiKey: "${KEY}"\n', 'x.yaml', { HOOK: 'http://127.0.0.1:1/api/webhooks/1/t', KEY: 'sk-1' });
    expect(config.discord).toMatchObject({ enabled: true, webhookUrl: 'http://127.0.0.1:1/api/webhooks/1/t' });
    expect(config.llm.apiKey).toBe('sk-1');
    expect(warnings).toEqual([]);
  });

  it('lists every problem by path, typos included', () => {
    const text = 'opsagent:\n  permissionLevel: admin\n  autoRemediat: true\nserver:\n  port: 99999\nnetdata:\n  pollInterval: "30"\n';
    expect(() => parseConfig(text, 'bad.yaml', {})).toThrow(
      /bad\.yaml is not valid:\n {2}netdata\.pollInterval: .*\n {2}opsagent\.permissionLevel: .*\n {2}opsagent: Unrecognized key: "autoRemediat"\n {2}server\.port: /,
    );
  });

  it('validates llm.redact.patterns as regular expressions when the config loads', () => {
    expect(parseConfig('llm:\n  redact:\n    patterns: ["CUST-[0-9]{6}"]\n', 'x.yaml', {}).config.llm.redact.patterns).toEqual(['CUST-[0-9]{6}']);
    expect(() => parseConfig('llm:\n  redact:\n    patterns: ["ok-[a-z]+", "(unclosed", "x*"]\n', 'bad.yaml', {})).toThrow(
      /llm\.redact\.patterns\.1: not a valid regular expression[\s\S]*llm\.redact\.patterns\.2: matches the empty string/,
    );
  });

  it('reports YAML syntax errors with their position', () => {
    expect(() => parseConfig('netdata: [\n', 'broken.yaml', {})).toThrow(/broken\.yaml is not valid YAML/);
  });

  it('refuses a non-loopback listen address without an API token', () => {
    expect(() => parseConfig('server:\n  host: 0.0.0.0\n', 'x.yaml', {})).toThrow(/server\.apiToken is empty/);
  });

  it('takes the database from TURSO_DATABASE_URL / TURSO_AUTH_TOKEN when the file keeps the default', () => {
    const { config } = parseConfig('{}', 'x.yaml', { TURSO_DATABASE_URL: 'libsql://db.example', TURSO_AUTH_TOKEN: 't' });
    expect(config.database).toEqual({ url: 'libsql://db.example', authToken: 't' });
  });

  it('takes TURSO_AUTH_TOKEN when the file names a libsql:// URL but no database.authToken', () => {
    const { config } = parseConfig('database:\n  url: libsql://fleet.example\n', 'x.yaml', { TURSO_AUTH_TOKEN: 'tok' });
    expect(config.database).toEqual({ url: 'libsql://fleet.example', authToken: 'tok' });
  });

  it('keeps the file\'s own database.authToken over TURSO_AUTH_TOKEN', () => {
    const { config } = parseConfig('database:\n  url: libsql://fleet.example\n  authToken: from-file\n', 'x.yaml', { TURSO_AUTH_TOKEN: 'tok' });
    expect(config.database.authToken).toBe('from-file');
  });
});
