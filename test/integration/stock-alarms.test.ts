import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stockAlarmRow } from '../../eval/stock-alarm-table.js';
import { HOST_HEALTH_FILES, STOCK_ALARMS } from '../../src/analysis/rules/stock-alarms.js';
import { requirePeerForAll, skipWithout } from '../helpers/peers.js';

/** Debian's netdata package ships the stock alarms here (scripts/install-test-deps.sh installs it). */
const HEALTH_DIR = process.env.NETDATA_HEALTH_DIR ?? '/usr/lib/netdata/conf.d/health.d';
const present = existsSync(join(HEALTH_DIR, 'cpu.conf'));
const DOC = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'analysis.md'), 'utf8');

/** Every `alarm:` and `template:` name of a health.d file, with the `on:` that follows it. */
function alarmsIn(text: string): { name: string; on: string }[] {
  const out: { name: string; on: string }[] = [];
  for (const line of text.split('\n')) {
    const named = /^\s*(?:alarm|template)\s*:\s*(\S+)/.exec(line);
    if (named) out.push({ name: named[1]!, on: '' });
    const on = /^\s*on\s*:\s*(\S+)/.exec(line);
    if (on && out.length > 0 && out.at(-1)!.on === '') out.at(-1)!.on = on[1]!;
  }
  return out;
}

describe.skipIf(skipWithout(present))("the stock-alarm table against the installed Netdata's health.d", () => {
  requirePeerForAll(present, `no Netdata health.d at ${HEALTH_DIR}: install Debian's netdata (scripts/install-test-deps.sh)`);

  it('has every alarm of the host families, attached to the same chart context', () => {
    const found = HOST_HEALTH_FILES.flatMap((file) => alarmsIn(readFileSync(join(HEALTH_DIR, file), 'utf8')).map((a) => ({ ...a, file })));
    expect(found.length).toBeGreaterThan(60);
    const missing = found.filter((a) => !Object.hasOwn(STOCK_ALARMS, a.name)).map((a) => `${a.file}: ${a.name}`);
    const wrongContext = found.filter((a) => Object.hasOwn(STOCK_ALARMS, a.name) && STOCK_ALARMS[a.name]!.on !== a.on).map((a) => `${a.name}: ${a.on}, table says ${STOCK_ALARMS[a.name]!.on}`);
    expect({ missing, wrongContext }).toEqual({ missing: [], wrongContext: [] });
  });
});

describe('docs/analysis.md', () => {
  it('shows the row of every stock alarm as the table renders it', () => {
    const missing = Object.keys(STOCK_ALARMS).filter((name) => !DOC.includes(stockAlarmRow(name)));
    expect(missing).toEqual([]);
  });
});
