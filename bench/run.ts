import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';
import { machineDescription, peakRssMb } from './machine.js';
import { runStoreIngestBench } from './store-ingest.js';

/** `npm run bench`: every benchmark in one run on this machine, printed and written to docs/BENCHMARKS.md. */
const sections: string[] = [];
const log = (line: string) => {
  console.log(line);
  sections.push(line);
};

log(`# OpsAgent benchmarks\n\nRun ${new Date().toISOString()} on: ${machineDescription()}.\n`);

log('## Store-level ingest (50,000 events over 200 fingerprints, durable commits, WAL + synchronous=NORMAL)\n');
log('| driver | mode | events/s | seconds |\n|---|---|---|---|');
for (const driver of ['sqlite', 'libsql'] as const) {
  for (const r of await runStoreIngestBench({ driver, total: driver === 'libsql' ? 20_000 : 50_000 })) {
    log(`| ${r.driver} | ${r.mode} | ${r.eventsPerSecond.toLocaleString('en-US')} | ${r.seconds} (${r.events.toLocaleString('en-US')} events) |`);
  }
}
log(`\nPeak RSS of the benchmark process after the store runs: ${peakRssMb()} MB.\n`);

writeFileSync(join(PACKAGE_ROOT, 'docs/BENCHMARKS.md'), `${sections.join('\n')}\n`);
console.log('\nwritten to docs/BENCHMARKS.md');
