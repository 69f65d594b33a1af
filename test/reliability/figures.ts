import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';

/**
 * The machine-readable figures of the reliability suite. Each test file writes its own part
 * (test-artifacts/reliability/<part>.json); the global teardown merges them into test-artifacts/reliability.json,
 * which test/reliability/report.ts renders as docs/RELIABILITY.md.
 */

export const ARTIFACTS = join(PACKAGE_ROOT, 'test-artifacts');
export const FIGURES_DIR = join(ARTIFACTS, 'reliability');
export const SUMMARY_FILE = join(ARTIFACTS, 'reliability.json');

export type Figures = Record<string, string | number | boolean | null | string[] | Record<string, number | string | boolean>>;

export interface Part {
  part: string;
  title: string;
  passed: boolean;
  durationMs: number;
  figures: Figures;
}

export interface Summary {
  generatedAt: string;
  node: string;
  platform: string;
  cpus: number;
  parts: Part[];
}

/** Records (or replaces) one scenario's figures; called at the end of a test once its assertions passed. */
export function recordPart(part: Part): void {
  mkdirSync(FIGURES_DIR, { recursive: true });
  writeFileSync(join(FIGURES_DIR, `${part.part}.json`), `${JSON.stringify(part, null, 2)}\n`);
}

export function mergeFigures(): Summary | undefined {
  if (!existsSync(FIGURES_DIR)) return undefined;
  const parts = readdirSync(FIGURES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(FIGURES_DIR, f), 'utf8')) as Part);
  if (parts.length === 0) return undefined;
  const summary: Summary = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    parts,
  };
  writeFileSync(SUMMARY_FILE, `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}
