import { mkdirSync, rmSync } from 'node:fs';
import { FIGURES_DIR, mergeFigures } from './figures.js';

/** Starts each run with no figures from an earlier run, and merges this run's into test-artifacts/reliability.json. */
export function setup(): void {
  rmSync(FIGURES_DIR, { recursive: true, force: true });
  mkdirSync(FIGURES_DIR, { recursive: true });
}

export function teardown(): void {
  mergeFigures();
}
