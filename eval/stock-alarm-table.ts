import { pathToFileURL } from 'node:url';
import { STOCK_ALARMS } from '../src/analysis/rules/stock-alarms.js';

/** One row of the stock-alarm table of docs/analysis.md, as test/integration/stock-alarms.test.ts expects it. */
export function stockAlarmRow(name: string): string {
  const a = STOCK_ALARMS[name]!;
  return `| \`${name}\` | ${a.file} | \`${a.on}\` | ${a.rule.id} | ${a.evidence} | ${a.proposals} |`;
}

export function stockAlarmTable(): string {
  return ['| alarm | health.d file | on (context) | rule | evidence | proposals |', '|---|---|---|---|---|---|', ...Object.keys(STOCK_ALARMS).map(stockAlarmRow)].join('\n');
}

// `npx tsx eval/stock-alarm-table.ts` prints the table to paste into docs/analysis.md.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(stockAlarmTable());
