import { setFlagsFromString } from 'node:v8';
import { AppError } from '../errors.js';
import type { AlertEvent } from './alert.js';
import type { Issue } from './issue.js';

/**
 * Alertmanager's matcher semantics, for silences, maintenance windows and channel routes:
 *   `field=value`, `field!=value`, `field=~regex`, `field!~regex`; a regex matches the whole value (anchored, as in
 *   Alertmanager); a field the alert does not have is the empty string; a list of matchers matches when all do.
 * Fields: server, alertname, context, chart, severity (warning | critical), source (netdata | alertmanager |
 * opsagent), and `label.<name>` for the labels of Alertmanager / Prometheus alerts.
 */
export type MatchOperator = '=' | '!=' | '=~' | '!~';

export const MATCHER_FIELDS = ['server', 'alertname', 'context', 'chart', 'severity', 'source'] as const;
export type MatcherField = (typeof MATCHER_FIELDS)[number] | `label.${string}`;

export interface Matcher {
  field: MatcherField;
  op: MatchOperator;
  value: string;
}

/** What a matcher looks at: one alert or issue, its fields and labels. */
export interface MatchTarget {
  server: string;
  alertname: string;
  context: string;
  chart: string;
  severity: string;
  source: string;
  labels: Record<string, string>;
}

/**
 * User regexes are matched against text any alert sender controls, so they run on V8's linear-time engine (the `l`
 * flag): no pattern can stall the process, whatever the input. Like Alertmanager's RE2 it refuses backreferences and
 * lookarounds. The flag must be on before the first such regex is compiled.
 */
setFlagsFromString('--enable-experimental-regexp-engine');

const MAX_VALUE = 1_000;
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OPERATORS: readonly MatchOperator[] = ['=~', '!~', '!=', '='];

/** `alertname=~"disk_.*"` → a Matcher; anything else → INPUT_INVALID naming what is wrong. */
export function parseMatcher(text: string): Matcher {
  const trimmed = text.trim();
  const m = /^([A-Za-z_][A-Za-z0-9_.]*)\s*(=~|!~|!=|=)\s*(.*)$/s.exec(trimmed);
  if (!m) {
    throw new AppError('INPUT_INVALID', `matcher "${clip(trimmed)}": expected field=value, field!=value, field=~regex or field!~regex`);
  }
  const field = checkField(m[1]!, trimmed);
  const op = m[2] as MatchOperator;
  const value = unquote(m[3]!.trim(), trimmed);
  return checkMatcher({ field, op, value });
}

/** Validates a matcher given as an object (HTTP API, config file): the same rules as the text form. */
export function checkMatcher(input: { field: string; op: string; value: string }): Matcher {
  const shown = `${input.field}${input.op}${input.value}`;
  const field = checkField(input.field, shown);
  if (!OPERATORS.includes(input.op as MatchOperator)) {
    throw new AppError('INPUT_INVALID', `matcher "${clip(shown)}": unknown operator "${clip(input.op)}"; use =, !=, =~ or !~`);
  }
  if (input.value.length > MAX_VALUE) {
    throw new AppError('INPUT_INVALID', `matcher "${clip(shown)}": the value is longer than ${MAX_VALUE} characters`);
  }
  const op = input.op as MatchOperator;
  if (op === '=~' || op === '!~') compileRegex(input.value, shown);
  return { field, op, value: input.value };
}

/** A list of matchers, each text or object; at least one, as a silence that matches everything is a mistake. */
export function parseMatchers(list: readonly (string | { field: string; op: string; value: string })[]): Matcher[] {
  if (list.length === 0) throw new AppError('INPUT_INVALID', 'give at least one matcher (e.g. server=web-1 or alertname=~"disk_.*")');
  return list.map((item) => (typeof item === 'string' ? parseMatcher(item) : checkMatcher(item)));
}

export function formatMatcher(m: Matcher): string {
  return `${m.field}${m.op}${JSON.stringify(m.value)}`;
}

const compiled = new Map<string, RegExp>();

export function matches(matchers: readonly Matcher[], target: MatchTarget): boolean {
  for (const m of matchers) {
    const actual = valueOf(target, m.field);
    let hit: boolean;
    switch (m.op) {
      case '=': hit = actual === m.value; break;
      case '!=': hit = actual !== m.value; break;
      case '=~': hit = regexFor(m.value).test(actual); break;
      case '!~': hit = !regexFor(m.value).test(actual); break;
    }
    if (!hit) return false;
  }
  return true;
}

export function targetOfEvent(event: AlertEvent): MatchTarget {
  return {
    server: event.server_id,
    alertname: event.name,
    context: event.context,
    chart: event.chart,
    severity: event.status === 'CRITICAL' ? 'critical' : 'warning',
    source: event.source,
    labels: event.labels ?? {},
  };
}

export function targetOfIssue(issue: Issue): MatchTarget {
  const inputs = issue.metadata.fingerprint_inputs;
  return {
    server: issue.server_id,
    alertname: inputs?.name ?? issue.title,
    context: inputs?.context ?? '',
    chart: inputs?.chart ?? '',
    severity: issue.severity,
    source: issue.source,
    labels: issue.metadata.labels ?? {},
  };
}

function valueOf(target: MatchTarget, field: MatcherField): string {
  if (field.startsWith('label.')) {
    const name = field.slice(6);
    return Object.hasOwn(target.labels, name) ? (target.labels[name] ?? '') : ''; // never Object.prototype's members
  }
  return target[field as (typeof MATCHER_FIELDS)[number]];
}

function checkField(field: string, shown: string): MatcherField {
  if ((MATCHER_FIELDS as readonly string[]).includes(field)) return field as MatcherField;
  if (field.startsWith('label.') && LABEL_NAME.test(field.slice(6))) return field as MatcherField;
  throw new AppError(
    'INPUT_INVALID',
    `matcher "${clip(shown)}": unknown field "${clip(field)}"; use ${MATCHER_FIELDS.join(', ')} or label.<name>`,
  );
}

function unquote(raw: string, shown: string): string {
  if (!raw.startsWith('"')) return raw;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'string') return value;
  } catch {
    // reported below
  }
  throw new AppError('INPUT_INVALID', `matcher "${clip(shown)}": the quoted value is not closed or has a bad escape`);
}

function compileRegex(source: string, shown: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`, 'l');
  } catch (err) {
    const message = (err as Error).message;
    if (/linear time/.test(message)) {
      throw new AppError('INPUT_INVALID', `matcher "${clip(shown)}": invalid regular expression (backreferences and lookarounds are not supported, as in Alertmanager)`);
    }
    const why = message.replace(/^Invalid regular expression: /, '').replace(/^\/.*\/l: /, '');
    throw new AppError('INPUT_INVALID', `matcher "${clip(shown)}": invalid regular expression (${clip(why)})`);
  }
}

function regexFor(source: string): RegExp {
  let re = compiled.get(source);
  if (!re) {
    re = compileRegex(source, source);
    if (compiled.size > 1_000) compiled.clear();
    compiled.set(source, re);
  }
  return re;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
