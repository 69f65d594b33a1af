// The shipped program, in dist/bin/: the CLI (src/cli/program.ts and everything it loads) bundled with esbuild into
// one CommonJS file, started by src/bin.ts from V8's code cache, which this script writes by running the common
// commands once: resolving and compiling the hundreds of files of node_modules, then compiling the same code on every
// start, was most of a short command's time. Source maps keep stack traces readable.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const outdir = 'dist/bin';

/**
 * zod re-exports its ~60 message locales as `z.locales`, which OpsAgent never uses (its messages are English, zod's
 * default, imported on its own): a third of the zod code every config-reading command would parse.
 */
const englishOnlyZodLocales = {
  name: 'english-only-zod-locales',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: join(dirname(args.importer), args.path), namespace: 'zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
};
await build({
  ...common,
  entryPoints: { 'opsagent-cli': 'src/cli/program.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  // Native addons, and pino, whose pretty output runs pino-pretty in a worker thread it resolves at run time.
  external: ['better-sqlite3', '@libsql/client', 'pino', 'pino-pretty'],
  // paths.ts finds the package from its own location.
  define: { 'import.meta.url': '__opsagentFileUrl' },
  banner: { js: "var __opsagentFileUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [englishOnlyZodLocales],
});
await build({ ...common, entryPoints: { opsagent: 'src/bin.ts' }, outdir, format: 'esm' });
// The daemon (and `opsagent mcp`) load only the chunks they use, as ES modules: the one-file bundle above costs a
// long-running process ~20 MB more resident memory, which start-up time does not buy back.
await build({
  ...common,
  entryPoints: { opsagent: 'src/cli.ts' },
  outdir: join(outdir, 'daemon'),
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  external: ['better-sqlite3', '@libsql/client', 'pino', 'pino-pretty'],
  // Bundled CommonJS packages (fastify, commander…) call require() for Node's own modules.
  banner: { js: "import { createRequire as __opsagentRequire } from 'node:module'; const require = __opsagentRequire(import.meta.url);" },
  plugins: [englishOnlyZodLocales],
});

// The code cache: the commands an operator types during an incident, run once in one process on a scratch database.
const scratch = mkdtempSync(join(tmpdir(), 'opsagent-code-cache-'));
try {
  const bin = join(outdir, 'opsagent.js');
  const config = join(scratch, 'opsagent.yaml');
  writeFileSync(config, `database:\n  url: "file:${join(scratch, 'opsagent.db')}"\n`);
  const alerts = join(scratch, 'alerts.json');
  writeFileSync(alerts, JSON.stringify({ server_id: 'web-1', name: 'cpu_usage', context: 'system.cpu', chart: 'system.cpu', status: 'WARNING', value: 85 }));
  const env = { ...process.env, OPSAGENT_CONFIG: config, OPSAGENT_LOG_LEVEL: 'silent', XDG_CACHE_HOME: scratch };
  const cli = (args, extra = {}) => execFileSync(process.execPath, [bin, ...args], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  cli(['alerts-ingest', alerts]);
  const issueId = JSON.parse(cli(['issues-list', '--json']))[0].id;
  const plan = [['--help'], ['fingerprint', 'a', 'b', 'c'], ['config-check'], ['issues-list'], ['issues-show', issueId], ['issues-list', '--json'], ['issues-stats']];
  cli([], { OPSAGENT_CODE_CACHE_TRAIN: JSON.stringify(plan) });
  if (readFileSync(join(outdir, 'opsagent-cli.cache')).length === 0) throw new Error('the code cache is empty');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
