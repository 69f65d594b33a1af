import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';
import { cliLatencyMarkdown, runCliLatencyBench } from './cli-latency.js';
import { apiV2Markdown, runApiV2Bench } from './api-v2-ingest.js';
import { runHttpIngestBench } from './http-ingest.js';
import { machineDescription } from './machine.js';
import { patternsTable, runNotifyPatternsBench } from './notify-patterns.js';
import { runNotifyStormBench } from './notify-storm.js';
import { runQueryLatencyBench } from './query-latency.js';
import { runStartupBench } from './startup.js';
import { runStoreIngestBench } from './store-ingest.js';
import { runTursoBench } from './turso-ingest.js';
import { sqldBinary } from '../test/helpers/sqld.js';

/**
 * `npm run bench`: every benchmark in one run on this machine, printed and written to docs/BENCHMARKS.md.
 * `npm run bench -- --quick` uses smaller sizes (a smoke run, not figures to publish).
 */
const quick = process.argv.includes('--quick');
const out: string[] = [];
const log = (line: string) => {
  console.log(line);
  out.push(line);
};
const fmt = (n: number) => n.toLocaleString('en-US');

log(`# OpsAgent benchmarks\n\nRun ${new Date().toISOString()}${quick ? ' (quick: reduced sizes)' : ''} on: ${machineDescription()}.`);
log('Every number below comes from this one run; the machine is shared and noisy, so compare rows of the same run.\n');

log('## HTTP ingest storm: OpsAgent vs Prometheus Alertmanager (and the Fastify floor)\n');
const http = await runHttpIngestBench({ alerts: quick ? 5_000 : 50_000, bursts: quick ? 4 : 10, log: (l) => console.error(`  ${l}`) });
log(`${fmt(http.alerts)} alerts over ${http.fingerprints} fingerprints per target and mode, ${http.concurrency} concurrent keep-alive connections from a Node client in a separate process. OpsAgent answers each request only after the alerts are committed to its SQLite file; Alertmanager keeps them in memory. The floor row is Fastify alone on the same route, validating and storing nothing: what Node's HTTP stack and Fastify cost on this machine before any of OpsAgent's work. The three run at once, each a fresh process taking both modes in turn, and the alerts go in ${http.bursts} bursts per target, rotating the target after each burst, so a slow moment of the machine hurts a burst of each; req/s and alerts/s are totals over all bursts. Before measuring, each target gets the same warm-up (${fmt(http.warmup)} one-alert requests on other alert names): Node compiles its hot code during the first thousands of requests, and a daemon that runs for days is measured warm. The client shares the machine's cores with the server, so the server's CPU time per request decides much of the result.\n`);
log('| target | mode | req/s | alerts/s | server CPU per request | alerts/s of each burst | failed | peak RSS |\n|---|---|---|---|---|---|---|---|');
for (const t of [http.opsagent, ...('modes' in http.alertmanager ? [http.alertmanager] : []), http.floor]) {
  for (const m of t.modes) {
    const cpu = m.cpuMicrosPerRequest === null ? '?' : `${fmt(m.cpuMicrosPerRequest)} µs`;
    log(`| ${t.target} | ${m.mode} | ${fmt(m.requestsPerSecond)} | ${fmt(m.alertsPerSecond)} | ${cpu} | ${m.bursts.map(fmt).join(' / ')} | ${m.failedRequests} | ${t.peakRssMb ?? '?'} MB |`);
  }
}
if (http.ratio) {
  const ratios = Object.entries(http.ratio).map(([k, v]) => `${k} **${v.total}×** (per burst: median ${v.medianBurst}×, ${v.lowestBurst}–${v.highestBurst}×)`);
  log(`\nRatio OpsAgent / Alertmanager (alerts/s): ${ratios.join('; ')}.`);
} else log(`\nAlertmanager: ${'skipped' in http.alertmanager ? http.alertmanager.skipped : ''}.`);
const floorRatio = http.floor.modes.map((m, i) => `${m.mode} ${Math.round((http.opsagent.modes[i]!.alertsPerSecond / m.alertsPerSecond) * 100) / 100}×`);
log(`OpsAgent / the Fastify floor (Node's HTTP stack alone, same client): ${floorRatio.join(', ')}.`);
log(`Firings counted in OpsAgent's databases afterwards: ${fmt(http.opsagent.committedFirings)} of ${fmt(http.opsagent.acknowledged)} acknowledged alerts (every acknowledged alert is in the store).\n`);

log('## POST /api/v2/alerts: OpsAgent vs Prometheus Alertmanager, identical Prometheus-shaped bodies (`npx tsx bench/api-v2-ingest.ts` runs this section alone)\n');
const v2 = await runApiV2Bench({ alerts: quick ? 5_000 : 50_000, bursts: quick ? 4 : 10, log: (l) => console.error(`  ${l}`) });
for (const line of apiV2Markdown(v2)) log(line);

log('## Store-level ingest (the tracker on a real file, WAL + synchronous=NORMAL, no HTTP)\n');
log('| driver | mode | events/s | seconds |\n|---|---|---|---|');
for (const driver of ['sqlite', 'libsql'] as const) {
  const total = quick ? 5_000 : driver === 'libsql' ? 20_000 : 50_000;
  for (const r of await runStoreIngestBench({ driver, total })) {
    log(`| ${r.driver} | ${r.mode} | ${fmt(r.eventsPerSecond)} | ${r.seconds} (${fmt(r.events)} events) |`);
  }
}

log('\n## The Turso path: HTTP ingest on a real sqld, and through a 25 ms-each-way WAN (`node dist/bench/turso-ingest.js` runs this section alone)\n');
if (!sqldBinary()) log('sqld is not installed (`bash scripts/install-test-deps.sh`): skipped.\n');
else {
  const turso = await runTursoBench({ ...(quick ? { alerts: 2_000, batchedAlerts: 10_000, wanRequests: 1_000 } : {}), log: (l) => console.error(`  ${l}`) });
  log(`\`opsagent run\` as a child process on ${turso.sqld} with JWT auth, over libsql://127.0.0.1:PORT?tls=0, the token from TURSO_AUTH_TOKEN (the config file names none); analysis and Discord off. Every 2xx means committed in sqld. The WAN rows go through a TCP proxy in the bench process (bench/delay-proxy.ts, node:net) that holds every chunk ${turso.wanDelayMsEachWay} ms before passing it on, in each direction: a round trip to the database costs ${turso.wanDelayMsEachWay * 2} ms more, as to a Turso region far away.\n`);
  log('| mode | concurrent requests | req/s | alerts/s | failed |\n|---|---|---|---|---|');
  for (const m of turso.modes) log(`| ${m.mode} | ${m.concurrency} | ${fmt(m.requestsPerSecond)} | ${fmt(m.alertsPerSecond)} | ${m.failedRequests} |`);
  log(`\nFirings counted in sqld afterwards: ${fmt(turso.committedFirings)} of ${fmt(turso.acknowledged)} acknowledged alerts.`);
  log(`CLI against the same database (HTTP requests to sqld counted by a proxy; each is one round trip): ${turso.cli.map((c) => `\`${c.command}\` ${c.roundTrips} round trips, ${fmt(c.wanMs)} ms over the WAN (process start included)`).join('; ')}.\n`);
}

const size = quick ? { issues: 10_000, comments: 100_000 } : { issues: 100_000, comments: 1_000_000 };
log(`\n## Query latency on ${fmt(size.issues)} issues and ${fmt(size.comments)} comments\n`);
const q = await runQueryLatencyBench(size);
log('| query | p50 ms | p99 ms | runs |\n|---|---|---|---|');
for (const r of q.results) log(`| ${r.query} | ${r.p50Ms} | ${r.p99Ms} | ${r.runs} |`);
log(`\n(filling the database took ${q.fillSeconds} s)\n`);

log('## Start-up and idle memory (`opsagent run` on its defaults, Netdata off)\n');
const s = await runStartupBench(quick ? 2 : 5, quick ? 3 : 10);
log(`Start-up (spawn → /healthz answers): ${s.startupMs.join(', ')} ms. Idle RSS after ${quick ? 3 : 10} s: ${s.idleRssMb ?? '?'} MB.\n`);

log('## CLI latency and daemon start (`npx tsx bench/cli-latency.ts` runs this section alone)\n');
for (const line of cliLatencyMarkdown(await runCliLatencyBench(quick ? { runs: 5, bigIssues: 10_000, daemonRuns: 2 } : {}))) log(line);

log('## Notifications under a storm (new critical issues → Discord webhook sink)\n');
const n = await runNotifyStormBench(quick ? { issues: 200, seconds: 15 } : { issues: 1000, seconds: 70 });
log(`${fmt(n.issues)} new critical issues at once: ${n.messages} messages in ${n.seconds} s, at most ${n.maxMessagesInAnyMinute} in any minute (budget ${n.limitPerMinute}/min, Discord's channel limit ~30/min); ${fmt(n.issuesAnnounced)} issues announced (one embed each or counted in a summary embed)${n.secondsUntilAllAnnounced === null ? '' : `, all within ${n.secondsUntilAllAnnounced} s`}.\n`);

log('## Notification patterns: new messages and latency (issue 15)\n');
log('`opsagent run` as a user starts it (readonly, Discord on, analysis on its defaults) against a local Discord speaking Execute Webhook (?wait=true) and Edit Webhook Message. New messages are posts (edits are not counted); latency runs from the 202 of POST /api/v1/alerts to the first post or edit showing that state. Timings as in the issue, except the settle time of pattern A: 30 s instead of the default 10 min. Peer columns are the figures given in the issue, not measured here.\n');
const patterns = await runNotifyPatternsBench({ quick });
for (const line of patternsTable(patterns)) log(line);
log('');

if (!quick) writeFileSync(join(PACKAGE_ROOT, 'docs/BENCHMARKS.md'), `${out.join('\n')}\n`);
console.log(quick ? '\n(quick run: docs/BENCHMARKS.md left as it was)' : '\nwritten to docs/BENCHMARKS.md');
