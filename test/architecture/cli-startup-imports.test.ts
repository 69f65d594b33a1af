import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** What a file loads before any of its code runs: its static imports (not type-only ones, not import()). */
function staticImports(file: string): string[] {
  const text = readFileSync(`${SRC}${file}`, 'utf8');
  return [...text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
}

describe('what every CLI command loads before it looks at its arguments', () => {
  // src/cli.ts and the command declarations run for every command, `--help` included; each command's body, with the
  // config, the store, Fastify and zod, is behind an import() in its action.
  const declarations = ['cli.ts', 'cli/program.ts', ...readdirSync(`${SRC}cli`).filter((f) => /-commands?\.ts$/.test(f)).map((f) => `cli/${f}`), 'cli/lazy.ts'];

  it.each(declarations)('%s imports only commander and the few small modules the declarations need', (file) => {
    const allowed = /^(commander|node:module|\.\/cli\/program\.js|\.\.\/errors\.js|\.\/cli\/[\w-]+-commands?\.js|\.\/[\w-]+-commands?\.js|\.\/errors\.js|\.\.\/model\/issue\.js|\.\.\/issues\/fingerprint\.js|\.\/lazy\.js)$/;
    expect(staticImports(file).filter((i) => !allowed.test(i))).toEqual([]);
  });

  it('the shipped launcher (src/bin.ts) loads only Node\'s own modules before it reads the bundle', () => {
    expect(staticImports('bin.ts').filter((i) => !i.startsWith('node:'))).toEqual([]);
  });
});
