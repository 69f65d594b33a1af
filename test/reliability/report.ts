/**
 * Renders docs/RELIABILITY.md from the figures of the last `npm run test:reliability` (test-artifacts/reliability.json).
 * Usage: npx tsx test/reliability/report.ts
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { mergeFigures, SUMMARY_FILE, type Part, type Summary } from './figures.js';

const DOC = join(PACKAGE_ROOT, 'docs', 'RELIABILITY.md');

/** Every scenario the suite has, in the order the document presents them, with what it proves. */
const SCENARIOS: { part: string; heading: string; claim: string }[] = [
  { part: 'kill-nine', heading: 'kill -9 during a storm', claim: 'The daemon (`opsagent run`, built CLI) is SIGKILLed 10 times at random moments while 8 clients storm `POST /api/v1/alerts` and both webhooks, and restarted on the same database file. Clients resend what was not acknowledged. Every acknowledged event is in `ingest_keys`, every issue\'s `alert_count` equals the firing events recorded against it, there is one issue per alert, and `PRAGMA integrity_check` is ok.' },
  { part: 'two-daemons', heading: 'two daemons on one database', claim: 'Two `opsagent run` processes on two ports share one SQLite file; interleaved storms hit both, and 10 % of the requests go to both at once. Each such event is applied by exactly one daemon (the other answers `duplicate`), there is no duplicate issue and the counts are exact.' },
  { part: 'fuzz-http', heading: 'fuzzing every webhook and API route', claim: 'fast-check generates malformed, oversized and hostile input (wrong types, nested junk, strings up to 1.5 MB, control characters, lone surrogates, `__proto__`/`constructor` keys, shell metacharacters, broken and 5,000-deep JSON, wrong content types) for every route that accepts input, through `app.inject()` on the real daemon graph. Never a 5xx; every refusal is a 4xx `{error, message}` with a one-line message and leaves issues, comments, `ingest_keys` and actions unchanged; `Object.prototype` is never polluted.' },
  { part: 'fuzz-cli', heading: 'fuzzing `opsagent alerts-ingest`', claim: 'The built CLI gets hostile stdin, files and paths (JSON, JSON Lines, 3 MB, 10,001 events, a directory, a missing file). Exit code 0 or 1, a single `opsagent: …` line on stderr, no stack trace, nothing stored when refused.' },
  { part: 'fault-netdata', heading: 'Netdata killed and restarted mid-storm', claim: 'A real Netdata is SIGKILLed and restarted with its state, then restarted on a fresh state, while an HTTP storm runs. The poller reports the outage, recovers, re-bootstraps on the fresh state and counts each alarm transition once (WARNING, CRITICAL, CLEAR, WARNING → `alert_count` 3 on one issue).' },
  { part: 'fault-discord', heading: 'Discord failing for a while', claim: 'The fake Discord answers 503 while 40 critical issues open, then 429 (also global), 500, 502, 503 and requests that hang past the client timeout. When it recovers, every notification is delivered exactly once, within the message budget.' },
  { part: 'fault-llm', heading: 'the LLM hanging, failing and returning garbage', claim: 'Through the daemon\'s analysis worker: a hang past the timeout, 500, 503, 429 with a long Retry-After, no quota, 401, plain-text garbage, cut-off answers, broken tool arguments and schema-violating submits. Every issue still gets its analysis (local rules, with the reason recorded); the next issue after recovery gets the model\'s.' },
  { part: 'fault-disk-full', heading: 'disk full (SQLITE_FULL)', claim: '`PRAGMA max_page_count` caps the daemon\'s database at its size plus a few pages (SQLite reports exactly what a full disk reports) during a storm. Writes answer HTTP 503 `{"error":"STORE_FAILED"}` with a clear message, `/healthz` answers 503 with the same sentence until a write succeeds again, reads keep working, nothing half-written remains, integrity is ok, and once space returns the refused requests are stored when retried.' },
  { part: 'prompt-injection', heading: 'prompt injection', claim: 'A corpus of hostile alert texts and hostile model answers (`test/fixtures/prompt-injection/`: `rm -rf /`, killing PID 1 or the agent, cleanup of `/`, restarting sshd, unit names and parameters with shell metacharacters, unknown tools and actions, huge arguments, fake approvals) goes through the real analyser (fake LLM) and the real gate and executors in all six permission modes. No action outside the permission matrix runs; no canary file appears, no program on a trap `PATH` runs, the fake `systemctl` is never called. `full` with `autoRemediate: true` runs as a dry run here, because the matrix lets it run `custom_command`.' },
];

const SHORT: Record<string, string> = {
  'kill-nine': '10 SIGKILLs of the daemon',
  'two-daemons': 'two daemons on one file',
  'fault-netdata': 'Netdata killed and restarted (kept and fresh state)',
  'fault-disk-full': 'a full disk',
  'fault-discord': 'Discord down / rate-limited / hanging',
  'fault-llm': 'the LLM hanging / failing / talking garbage',
};

function cell(v: unknown): string {
  if (Array.isArray(v)) return v.map((x) => String(x)).join('<br>');
  if (v !== null && typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}: ${String(x)}`).join(', ');
  return String(v).replaceAll('|', '\\|');
}

function table(part: Part): string {
  const rows = Object.entries(part.figures).map(([k, v]) => `| ${k} | ${cell(v)} |`);
  return ['| figure | value |', '|---|---|', ...rows].join('\n');
}

function total(parts: Part[], key: string): number {
  return parts.reduce((a, p) => a + (typeof p.figures[key] === 'number' ? (p.figures[key] as number) : 0), 0);
}

export /**
 * What an adversarial probe of the daemon broke, and what the hardening tests now show for each attack. The figures
 * come from the tests named in the last column of each row group, which run in `npm test` (not this suite).
 */
const SECURITY_PROBE = [
  '## Security probe',
  '',
  'An adversarial probe (as root, on 127.0.0.1, fake LLM / Discord / systemctl) found these holes; each was fixed as a rule',
  'and is tested by `test/e2e/dashboard.test.ts` (real Chromium), `test/integration/api-access.test.ts`,',
  '`local-token.test.ts`, `dashboard-auth.test.ts`, `actions-safety.test.ts` (a real bind mount, real processes) and',
  '`hardening-{shutdown,config,store,secrets}.test.ts` (a real slow socket, a real damaged file, the real CLI).',
  '',
  '| attack | expected | observed |',
  '|---|---|---|',
  "| A page on `http://localhost:18003` (and `127.0.0.1:18003`), operator logged in: `fetch(…/actions/ID/approve,{method:'POST',mode:'no-cors'})`, a text/plain form carrying JSON, a form to `/approvals/ID/decide` | refused, action stays pending, process alive | 403/415 on every POST that reached the daemon; `pending_approval`; the `sleep` child alive (real Chromium) |",
  '| No-cors form post / fetch of Netdata variables to `/api/v1/webhooks/netdata` from another local port | refused, no issue | 403 (Origin / Sec-Fetch-Site); issue count unchanged; a curl-style form with no browser headers → 202 |',
  "| A local user without the token: `curl -H 'content-type: application/json' -d '{}' 127.0.0.1:PORT/api/v1/actions/ID/approve` (also `?token=`, a prefix id); `opsagent token` run as `nobody` | 401/404; cannot read the token | 401, 401, 404; \"cannot read the local API token …: only the agent's user may\" |",
  '| The session cookie replayed after logout; 20 parallel wrong logins | cookie dead; rate-limited | 303 → `/login`; 5 × 401 then 15 × 429 with Retry-After; the right token also 429 while locked |',
  '| `GET /metrics` and `/healthz` with `Host: evil.example` (DNS rebinding), with and without a token | 403, no data | 403 `FORBIDDEN`, no `opsagent_` metrics in the body; own names and `server.allowedHosts` → 200 |',
  '| A POST body trickled 1 byte/s, then SIGTERM (plus 20 racing ingests) | exit 0 well within 10 s; acknowledged ingests stored; database clean | exit 0 in < 6 s (2 s grace); every 202 ingest present; `integrity_check` ok; no `-wal` left; the trickler got no 2xx |',
  '| Headers or body trickled past `server.requestTimeoutMs` (2 s in the test) | the connection is bounded in time | 408 and closed after about 2–3 s; the server stays healthy |',
  '| `config-check` on an alias bomb, a 2 MiB file, a binary file, a directory, 100k-deep nesting, `/dev/zero` | one `opsagent: …` line, exit 1 | e.g. `bomb.yaml is not valid YAML: its aliases expand more than 100 times (a YAML alias bomb?)`; `…: it is a directory`; no stack trace |',
  '| A database with damaged middle pages (valid header) / a file the daemon may not write | refuse with a sentence / `/healthz` 503 "read-only", ingest 503 | `run` exits 1: "the database file … is damaged (PRAGMA quick_check: …): stop the agent, then restore it from a backup, or rebuild it with sqlite3 … .recover …"; read-only: `/healthz` 503 "the database is read-only", ingest 503 `STORE_FAILED` |',
  '| An LLM 401 echoing the key; a Netdata at `user:pass@` answering 401 with the credentials; `?authToken=` in `database.url`; a YAML syntax error next to an inline key | no secret in any log, comment, `/healthz`, `/metrics`, error answer or `config-check` | `***` everywhere (timeline, `/healthz`, `/metrics`, a 404 echoing the key, the daemon log, the stored rows); the YAML error gives line and column only |',
  '| `restart_service` of `reboot.target`, `emergency.target`, `user@0.service`, `opsagent.service`, `systemd-journald.socket`, `netdata` (full + autoRemediate, even when listed in `allow`) | refused as a proposal and by the executor, with why; systemctl never runs | each refused, e.g. "reboot.target is a target, not a service: …"; recorded `failed`; the fake systemctl got 0 calls |',
  '| `cleanup_disk` of a root with another directory bind-mounted below it (same filesystem) | only files on the root\'s own mount are deleted | `find -xdev` alone reached the outside file; the executor deleted only the stale file below the root, the outside file survived, and a path through the mount was refused "is on another mount" |',
  '| A missing root under a sticky world-writable directory planted as a symlink; `roots: ["/"]`; `olderThanDays: 0` on `/tmp` | refused at execution; `config-check` refuses with why | "cleanup root …/cache is not safe: …/cache is a symbolic link" (the victim\'s file survived); "roots.0: / is the whole filesystem…"; "olderThanDays 0 would delete files other programs are still using in /tmp…" |',
  '| An approved `kill_process` (allowedPids set) of a second daemon run as `node …/dist/src/cli.js run`, `npm start`, the npm bin or `bin/opsagent.sh`; of `sshd-session` | refused everywhere and never proposed | "refusing to signal PID N: it runs the OpsAgent CLI (…)"; the gatherer marks them as no candidates; all still alive; `sshd-session` "is protected" |',
  '',
];

function render(summary: Summary): string {
  const byPart = new Map(summary.parts.map((p) => [p.part, p]));
  const ran = SCENARIOS.filter((s) => byPart.has(s.part));
  const missing = SCENARIOS.filter((s) => !byPart.has(s.part));
  const parts = summary.parts;
  const events = total(parts, 'eventsAcknowledged') + total(parts, 'httpEventsAcknowledgedMeanwhile');
  const inputs = total(parts, 'inputsTried');
  const lost = total(parts, 'acknowledgedEventsLost');
  const passed = (names: string[]) => names.filter((n) => byPart.has(n)).map((n) => SHORT[n]).join(', ') || 'nothing';
  const seconds = Math.round(parts.reduce((a, p) => a + p.durationMs, 0) / 1000);
  const lines = [
    '# Reliability',
    '',
    'What OpsAgent guarantees under crashes, concurrency, hostile input and failing dependencies, and the figures the',
    'reliability suite measured. Reproduce with:',
    '',
    '```',
    'npm run test:reliability                # builds, then runs test/reliability/ (a few minutes on 2 cores)',
    'npx tsx test/reliability/report.ts      # renders this file from test-artifacts/reliability.json',
    'RELIABILITY_SEED=123456 npm run test:reliability   # replays the storms and the fuzzers with one seed',
    '```',
    '',
    `Last run: ${summary.generatedAt} · Node ${summary.node} · ${summary.platform} · ${summary.cpus} CPUs · ${ran.length} of ${SCENARIOS.length} scenarios passed · ${seconds} s of test time.`,
    '',
    '## In short',
    '',
    `- **${events.toLocaleString('en-US')} acknowledged events** stored through ${passed(['kill-nine', 'two-daemons', 'fault-netdata', 'fault-disk-full'])}: **${lost} lost**, none counted twice, no duplicate issue, integrity check ok every time.`,
    `- **${inputs.toLocaleString('en-US')} malformed, oversized and hostile inputs** to every webhook, API route and \`alerts-ingest\`: 0 answered 5xx, 0 crashes, nothing stored for any refused input.`,
    `- **Faults**: ${passed(['fault-netdata', 'fault-discord', 'fault-llm', 'fault-disk-full'])}: each one ends in a clear error or a fallback, and recovery without duplicates.`,
    `- **Prompt injection**: ${byPart.get('prompt-injection')?.figures.hostileAlertTexts ?? '–'} hostile alert texts and ${byPart.get('prompt-injection')?.figures.hostileModelAnswers ?? '–'} hostile model answers in 6 permission modes: 0 actions outside the matrix, 0 shell or program invocations.`,
    '',
  ];
  if (missing.length > 0) {
    lines.push('**Not passed in the last run:** ' + missing.map((s) => s.heading).join(', ') + ' (see the test output).', '');
  }
  for (const s of SCENARIOS) {
    const part = byPart.get(s.part);
    lines.push(`## ${s.heading[0]!.toUpperCase()}${s.heading.slice(1)}`, '', s.claim, '');
    if (part) lines.push(`\`test/reliability/${s.part}.test.ts\` · ${(part.durationMs / 1000).toFixed(1)} s`, '', table(part), '');
    else lines.push('_No figures: this scenario did not pass (or was skipped) in the last run._', '');
  }
  lines.push(...SECURITY_PROBE);
  lines.push(
    '## What these tests do not cover',
    '',
    '- Power loss or a kernel crash: with `synchronous=NORMAL` in WAL mode SQLite may lose the last transactions on power',
    '  loss (never corrupt the file); a process crash (kill -9, tested above) loses nothing that was acknowledged.',
    '- Turso / libSQL server as the shared store: the two-daemon test uses one local SQLite file.',
    '- Discord\'s at-least-once window (docs/discord.md): a message accepted by Discord just before a crash can be sent twice.',
    '',
  );
  return lines.join('\n');
}

function main(): void {
  const summary = existsSync(SUMMARY_FILE) ? (JSON.parse(readFileSync(SUMMARY_FILE, 'utf8')) as Summary) : mergeFigures();
  if (!summary) {
    console.error(`report: no figures in ${SUMMARY_FILE}; run "npm run test:reliability" first`);
    process.exitCode = 1;
    return;
  }
  writeFileSync(DOC, render(summary));
  console.log(`wrote ${DOC} (${summary.parts.length} scenarios)`);
}

main();
