import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALLOWED, findCycles, importGraph, layerOf, layerViolations } from './import-graph.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const graph = importGraph(SRC);

describe('architecture: the folders are the layers', () => {
  it('reads the source tree', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('main.ts')).toContain('pipeline/wire.ts');
  });

  it('has no import circle between files (type-only imports included)', () => {
    expect(findCycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('imports only downwards: stages never import each other, the store imports only the model', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('names every top-level folder and file of src/ in the layer table', () => {
    const layers = new Set([...graph.keys()].map(layerOf));
    expect([...layers].filter((l) => !(l in ALLOWED))).toEqual([]);
  });

  it('finds a circle and a wrong-way import when there is one', () => {
    const bad = new Map([
      ['store/a.ts', ['issues/b.ts']],
      ['issues/b.ts', ['store/a.ts']],
      ['analysis/c.ts', ['actions/d.ts']],
      ['actions/d.ts', []],
    ]);
    expect(findCycles(bad)).toEqual([['issues/b.ts', 'store/a.ts', 'issues/b.ts']]);
    expect(layerViolations(bad)).toEqual([
      'analysis/c.ts → actions/d.ts (analysis may not import actions)',
      'store/a.ts → issues/b.ts (store may not import issues)',
    ]);
  });
});
