import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Every relative import (type-only ones too: a circle of types is still a circle to read) of every file under src/. */
export function importGraph(srcDir: string): Map<string, string[]> {
  const files = (readdirSync(srcDir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.split('\\').join('/'));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(srcDir, file), 'utf8');
    const targets = new Set<string>();
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = relative(srcDir, resolve(dirname(join(srcDir, file)), m[1]!)).split('\\').join('/').replace(/\.js$/, '.ts');
      targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** The import circles, each as the files around it (first file repeated at the end); empty when there are none. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

/** The layer a file belongs to: its top folder, or the file itself at the top of src/. */
export function layerOf(file: string): string {
  return file.includes('/') ? file.slice(0, file.indexOf('/')) : file.replace(/\.ts$/, '');
}

/**
 * Who may import whom (STYLE §1): the model and the small shared modules at the bottom, then the store, then the
 * stages (never each other), then the pipeline that joins them, then the HTTP server and the CLI, then main.
 */
const BOTTOM = ['secrets', 'errors', 'logger', 'paths', 'model', 'config'];
const STAGES = ['issues', 'sources', 'analysis', 'actions', 'notify'];
export const ALLOWED: Record<string, readonly string[]> = {
  bin: [], // the launcher: Node's modules only; it finds the bundled CLI by path
  secrets: [],
  errors: [],
  logger: ['secrets'],
  paths: [],
  model: ['errors'],
  config: ['secrets', 'errors', 'model'],
  store: ['secrets', 'errors', 'paths', 'model'],
  ...Object.fromEntries(STAGES.map((stage) => [stage, [...BOTTOM, 'store']])),
  pipeline: [...BOTTOM, 'store', ...STAGES],
  server: [...BOTTOM, 'store', ...STAGES, 'pipeline'],
  // The MCP adapter, beside the HTTP server: only the CLI's handler (stdio) and main (the /mcp route) reach it.
  mcp: [...BOTTOM, 'store', ...STAGES, 'pipeline'],
  cli: [...BOTTOM, 'store', ...STAGES, 'pipeline', 'mcp', 'main'],
  main: [...BOTTOM, 'store', ...STAGES, 'pipeline', 'server', 'mcp'],
};

/** Imports that cross a layer boundary the wrong way, as "from → to". */
export function layerViolations(graph: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    const from = layerOf(file);
    const allowed = ALLOWED[from];
    for (const target of targets) {
      const to = layerOf(target);
      if (to === from) continue;
      if (!allowed || !allowed.includes(to)) out.push(`${file} → ${target} (${from} may not import ${to})`);
    }
  }
  return out.sort();
}
