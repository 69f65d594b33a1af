import { readFileSync } from 'node:fs';
import { AppError, errorMessage } from '../errors.js';
import { parseGenericEvents } from '../sources/generic-event.js';
import { printJson, type CliContext } from './context.js';

function readInput(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new AppError('INPUT_INVALID', `cannot read ${file === '-' ? 'standard input' : file}: ${errorMessage(err)}`);
  }
}

/** JSON (an event or an array) or JSON Lines (one event per line). */
export function parseEventsText(text: string, where: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') throw new AppError('INPUT_INVALID', `${where} is empty: expected JSON events`);
  try {
    return JSON.parse(trimmed) as unknown;
  } catch (whole) {
    const lines = trimmed.split('\n').filter((l) => l.trim() !== '');
    if (lines.length < 2) throw new AppError('INPUT_INVALID', `${where} is not valid JSON: ${errorMessage(whole)}`);
    return lines.map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (err) {
        throw new AppError('INPUT_INVALID', `${where} line ${i + 1} is not valid JSON: ${errorMessage(err)}`);
      }
    });
  }
}

export async function alertsIngest(ctx: CliContext, file: string, opts: { json?: boolean }): Promise<void> {
  const where = file === '-' ? 'stdin' : file;
  const body = parseEventsText(readInput(file), where);
  const store = await ctx.store();
  const events = parseGenericEvents(body, { serverId: store.serverId, now: Date.now() });
  const results = await store.tracker.ingest(events);
  if (opts.json) return printJson({ accepted: events.length, results });
  const by = new Map<string, number>();
  for (const r of results) by.set(r.outcome, (by.get(r.outcome) ?? 0) + 1);
  const issues = new Set(results.map((r) => r.issue_id).filter(Boolean));
  console.log(`ingested ${events.length} event(s) into ${issues.size} issue(s): ${[...by].map(([k, v]) => `${v} ${k}`).join(', ')}`);
}
