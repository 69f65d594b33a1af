import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-store.js';

/** A "billion laughs": nine levels of nine aliases each, 9^9 strings once expanded. */
function aliasBomb(): string {
  let text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n';
  let previous = 'a';
  for (const name of 'bcdefghi') {
    text += `${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(', ')}]\n`;
    previous = name;
  }
  return text;
}

const FILES: [string, (path: string) => void, RegExp][] = [
  ['an alias bomb', (p) => writeFileSync(p, aliasBomb()), /is not valid YAML: its aliases expand more than 100 times/],
  ['a 2 MiB file', (p) => writeFileSync(p, `# ${'x'.repeat(2 * 1_048_576)}\n`), /cannot read config file .*: it is larger than 1 MiB/],
  ['a binary file', (p) => writeFileSync(p, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256))), /cannot read config file .*: it is a binary file, not YAML text/],
  ['text that is not UTF-8', (p) => writeFileSync(p, Buffer.from([0x6e, 0x65, 0x74, 0x3a, 0x20, 0xff, 0xfe, 0x0a])), /cannot read config file .*: it is not UTF-8 text/],
  ['a directory', (p) => mkdirSync(p), /cannot read config file .*: it is a directory/],
  ['a missing file', () => undefined, /cannot read config file .*: no such file or directory \(ENOENT\)/],
  ['100 000 nested flow sequences', (p) => writeFileSync(p, `netdata: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`), /is not valid YAML: it nests deeper than 32 levels/],
  ['40 nested block mappings', (p) => writeFileSync(p, `${Array.from({ length: 40 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n`), /is not valid YAML: it nests deeper than 32 levels/],
  ['1 200 nested block mappings', (p) => writeFileSync(p, `${Array.from({ length: 1200 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} 1\n`), /is not valid YAML:\n {2}line \d+, column \d+: it nests too deeply to parse/],
];

describe('config-check on hostile files', () => {
  it.each(FILES)('refuses %s with one opsagent: message and exit code 1, never a stack trace', async (_what, make, message) => {
    const path = join(tempDir('opsagent-config-'), 'opsagent.yaml');
    make(path);

    const r = await runCli(['config-check', path], { timeoutMs: 20_000 });

    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 1 });
    expect(r.stderr).toMatch(/^opsagent: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack frames
    expect(r.stderr.length).toBeLessThan(500);
  });

  it('refuses /dev/zero after reading 1 MiB of it instead of reading forever', async () => {
    const r = await runCli(['config-check', '/dev/zero'], { timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^opsagent: cannot read config file \/dev\/zero: it is larger than 1 MiB/);
  });

  it('reads a config from a pipe (--config <(…)), which is bounded by size, not by file type', async () => {
    const dir = tempDir('opsagent-config-');
    const fifo = join(dir, 'config.pipe');
    execFileSync('mkfifo', [fifo]);
    const writer = writeFile(fifo, 'netdata: { url: "" }\ndiscord: { enabled: false }\n'); // opens once the CLI reads
    const r = await runCli(['config-check', fifo], { timeoutMs: 20_000 });
    await writer;
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/config\.pipe is valid/);
  });
});
