import { generateFingerprint } from '../issues/fingerprint.js';
import type { AlertEvent } from '../model/alert.js';
import { legacyRowToEvent } from '../sources/legacy-alert.js';
import { LegacyAlertsRepository } from '../store/legacy-alerts-repository.js';
import { printJson, type CliContext } from './context.js';

const PAGE = 2_000;

export async function migrateLegacy(ctx: CliContext, opts: { dryRun?: boolean; json?: boolean }): Promise<void> {
  const store = await ctx.store();
  const legacy = new LegacyAlertsRepository(store.db);
  const map = await legacy.columnMap();
  const total = await legacy.count();
  const already = await legacy.migratedCount();
  let read = 0;
  let skipped = 0;
  let applied = 0;
  let duplicates = 0;
  const groups = new Set<string>();
  const issues = new Set<string>();
  let after: { time: unknown; id: unknown } | undefined;
  let lastProgress = 0;
  for (;;) {
    const rows = await legacy.page(map, after, PAGE);
    if (rows.length === 0) break;
    const last = rows.at(-1)!;
    after = { time: last.time, id: last.id };
    read += rows.length;
    const events: AlertEvent[] = [];
    for (const row of rows) {
      const event = legacyRowToEvent(row, store.serverId);
      if (!event) skipped++;
      else {
        events.push(event);
        groups.add(`${event.server_id}\u0000${generateFingerprint(event)}`);
      }
    }
    if (!opts.dryRun && events.length > 0) {
      for (const r of await store.tracker.ingest(events)) {
        if (r.outcome === 'duplicate') duplicates++;
        else applied++;
        if (r.issue_id) issues.add(r.issue_id);
      }
    }
    if (!opts.json && (read - lastProgress >= 20_000 || read === total)) {
      lastProgress = read;
      process.stderr.write(`migrate-legacy: ${read}/${total} rows (${Math.round((100 * read) / Math.max(total, 1))}%)\n`);
    }
  }
  const summary = {
    dry_run: opts.dryRun === true,
    columns: map,
    rows: total,
    skipped_rows: skipped,
    alert_groups: groups.size,
    already_migrated: already,
    ...(opts.dryRun ? {} : { events_applied: applied, events_already_applied: duplicates, issues_touched: issues.size }),
  };
  if (opts.json) return printJson(summary);
  const cols = Object.entries(map).map(([f, c]) => `${f}<-${c}`).join(', ');
  console.log(`legacy alerts table: ${total} rows; columns mapped: ${cols}`);
  if (skipped) console.log(`${skipped} row(s) without a usable name or time were skipped`);
  if (opts.dryRun) {
    console.log(`dry run: would group ${total - skipped} firings into ${groups.size} alert group(s) (issues); ${already} row(s) already migrated; nothing written`);
  } else {
    console.log(`migrated ${applied} firing(s) into ${issues.size} issue(s); ${duplicates} row(s) were already migrated; the alerts table is unchanged`);
  }
}
