import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AppError, errorMessage } from '../errors.js';
import { validateProposal, type RawProposal } from './action-catalog.js';
import type { Issue } from './issue.js';
import { matches, parseMatchers, targetOfIssue, type Matcher } from './matchers.js';

/**
 * A local runbook (docs/runbooks.md): a markdown file in `runbooks.dir` whose YAML front matter says which issues it is
 * for (`match:` Alertmanager-style matchers, all must hold) and may name remediation actions of the catalog with
 * their parameters (`actions:`), proposed for those issues through the normal checks and the permission gate.
 *   ---
 *   title: Disk filling up
 *   match: ['alertname=~"Disk.*"', 'label.severity=critical']
 *   actions: [{ type: cleanup_disk, params: { path: /var/tmp }, reason: Old temp files fill the disk }]
 *   ---
 *   # What to check …
 */
export interface Runbook {
  /** The file name inside the folder. */
  file: string;
  title: string;
  match: Matcher[];
  actions: RawProposal[];
  /** The markdown after the front matter. */
  body: string;
}

const MAX_BYTES = 256 * 1024;
const MAX_FILES = 500;
const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/** Parses one runbook file; throws INPUT_INVALID naming the first problem. */
export function parseRunbook(file: string, text: string): Runbook {
  const fm = FRONT_MATTER.exec(text);
  if (!fm) throw new AppError('INPUT_INVALID', 'no YAML front matter (a block between --- lines at the top)');
  let meta: unknown;
  try {
    meta = parseYaml(fm[1]!);
  } catch (err) {
    throw new AppError('INPUT_INVALID', `front matter is not valid YAML: ${errorMessage(err).split('\n')[0]}`);
  }
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw new AppError('INPUT_INVALID', 'front matter must be a YAML mapping');
  const m = meta as Record<string, unknown>;
  for (const key of Object.keys(m)) {
    if (!['title', 'match', 'actions'].includes(key)) throw new AppError('INPUT_INVALID', `unknown front matter key "${key.slice(0, 40)}" (use title, match, actions)`);
  }
  const matchList = typeof m.match === 'string' ? [m.match] : m.match;
  if (!Array.isArray(matchList) || matchList.some((x) => typeof x !== 'string')) {
    throw new AppError('INPUT_INVALID', 'match: give a list of matchers, e.g. [\'alertname="HighCPU"\', \'server=~"web-.*"\']');
  }
  const match = parseMatchers(matchList as string[]);
  const rawActions = m.actions ?? [];
  if (!Array.isArray(rawActions)) throw new AppError('INPUT_INVALID', 'actions: give a list of {type, params, reason}');
  const actions = rawActions.map((a: unknown, i) => {
    if (a === null || typeof a !== 'object' || Array.isArray(a)) throw new AppError('INPUT_INVALID', `actions.${i}: must be a mapping {type, params, reason}`);
    const raw = a as Record<string, unknown>;
    const proposal: RawProposal = { type: String(raw.type ?? ''), params: raw.params ?? {}, reason: typeof raw.reason === 'string' ? raw.reason : '' };
    const checked = validateProposal(proposal);
    if (!checked.ok) throw new AppError('INPUT_INVALID', `actions.${i} (${checked.type || 'no type'}): ${checked.reason}`);
    return proposal;
  });
  const body = text.slice(fm[0].length).trim();
  const title = typeof m.title === 'string' && m.title.trim() ? m.title.trim().slice(0, 200) : (/^#\s+(.+)$/m.exec(body)?.[1]?.trim() ?? file);
  return { file, title, match, actions, body };
}

export interface RunbookFolder {
  runbooks: Runbook[];
  /** One line per problem: `<file>: <what is wrong>`. */
  problems: string[];
}

/** Every `*.md` of the folder, in name order (the first that matches an issue is its runbook). */
export function loadRunbooks(dir: string): RunbookFolder {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.md')).sort();
  } catch (err) {
    return { runbooks: [], problems: [`${dir}: cannot read the runbooks folder (${errorMessage(err)})`] };
  }
  const runbooks: Runbook[] = [];
  const problems: string[] = [];
  if (names.length > MAX_FILES) problems.push(`${dir}: more than ${MAX_FILES} runbooks; only the first ${MAX_FILES} are read`);
  for (const file of names.slice(0, MAX_FILES)) {
    try {
      const path = join(dir, file);
      const st = statSync(path);
      if (!st.isFile()) throw new AppError('INPUT_INVALID', 'not a regular file');
      if (st.size > MAX_BYTES) throw new AppError('INPUT_INVALID', `larger than ${MAX_BYTES / 1024} KiB`);
      runbooks.push(parseRunbook(file, readFileSync(path, 'utf8')));
    } catch (err) {
      problems.push(`${file}: ${errorMessage(err)}`);
    }
  }
  return { runbooks, problems };
}

export function runbookFor(runbooks: readonly Runbook[], issue: Issue): Runbook | undefined {
  const target = targetOfIssue(issue);
  return runbooks.find((r) => matches(r.match, target));
}
