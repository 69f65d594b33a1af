// The shipped program: src/cli.ts bundled with esbuild into dist/bin/, one chunk per command's code (the commands
// import their bodies with import()), so a command parses only the code it runs: resolving and compiling the
// hundreds of files of node_modules was most of every command's start-up time. Source maps keep stack traces readable.
import { rmSync } from 'node:fs';
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
await build({
  entryPoints: { opsagent: 'src/cli.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  sourcesContent: false,
  chunkNames: 'chunks/[name]-[hash]',
  // Native addons, and pino, whose pretty output runs pino-pretty in a worker thread it resolves at run time.
  external: ['better-sqlite3', '@libsql/client', 'pino', 'pino-pretty'],
  // Bundled CommonJS packages (fastify, commander…) call require() for Node's own modules.
  banner: { js: "import { createRequire as __opsagentRequire } from 'node:module'; const require = __opsagentRequire(import.meta.url);" },
  plugins: [englishOnlyZodLocales],
  logLevel: 'warning',
});
