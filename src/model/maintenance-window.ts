import { AppError } from '../errors.js';
import { parseMatchers, type Matcher } from './matchers.js';

/**
 * A maintenance window silences what its matchers match while it is open: every week on some days between two
 * local times of a named (IANA) time zone, or once between two instants. Local times are wall-clock times: a
 * window 02:00–04:00 in Europe/Berlin is two hours long on most Sundays, one hour on the day the clocks go forward
 * (02:00 does not exist; it opens at 03:00) and three on the day they go back (it opens at the first 02:00).
 * End before start (22:00–02:00) runs over midnight into the next day.
 */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export type WindowSchedule =
  | { time_zone: string; days: Weekday[]; start: string; end: string }
  | { starts_at: number; ends_at: number };

export interface MaintenanceWindow {
  id: string;
  name: string;
  matchers: Matcher[];
  schedule: WindowSchedule;
  created_by: string;
  comment: string;
  /** 'config' for the config file's windows, 'api' for those made over the API / CLI. */
  origin: 'config' | 'api';
}

export interface Occurrence {
  start: number;
  end: number;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short' });
    formats.set(timeZone, f);
  }
  return f;
}

export function checkTimeZone(timeZone: string): string {
  try {
    formatFor(timeZone);
    return timeZone;
  } catch {
    throw new AppError('INPUT_INVALID', `unknown time zone "${timeZone.slice(0, 60)}"; use an IANA name such as Europe/Berlin or UTC`);
  }
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

export function localParts(ms: number, timeZone: string): LocalParts {
  const parts: Record<string, string> = {};
  for (const p of formatFor(timeZone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS.indexOf(parts.weekday!.toLowerCase().slice(0, 3) as Weekday),
  };
}

/** The zone's offset from UTC at an instant, in ms (local = utc + offset). */
function offsetAt(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant of a wall-clock time in a zone. A time that does not exist (the hour skipped when clocks go forward)
 * is shifted by the gap (02:00 gives the moment the clocks jump, 03:00); an ambiguous one (the hour repeated when
 * they go back) gives its first occurrence.
 */
export function zonedTime(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const before = offsetAt(wall - 86_400_000 / 2, timeZone);
  const after = offsetAt(wall + 86_400_000 / 2, timeZone);
  const candidates = [...new Set([before, after])].map((off) => wall - off).filter((t) => offsetAt(t, timeZone) === wall - t);
  if (candidates.length > 0) return Math.min(...candidates);
  // A skipped wall time, read with the offset before the jump: 02:00 → the jump itself, 02:30 → 03:30 (as Temporal's 'compatible').
  return wall - before;
}

function minutesOf(hhmm: string): [number, number] {
  const m = HHMM.exec(hhmm)!;
  return [Number(m[1]), Number(m[2])];
}

/** The occurrences of a window that overlap [from, to] (pure). */
export function occurrences(schedule: WindowSchedule, from: number, to: number): Occurrence[] {
  if ('starts_at' in schedule) return schedule.ends_at > from && schedule.starts_at <= to ? [{ start: schedule.starts_at, end: schedule.ends_at }] : [];
  const { time_zone: tz } = schedule;
  const [sh, sm] = minutesOf(schedule.start);
  const [eh, em] = minutesOf(schedule.end);
  const overnight = eh * 60 + em <= sh * 60 + sm;
  const out: Occurrence[] = [];
  // Walk local calendar days from two days before `from` to one after `to`, through the zone's own dates.
  const first = localParts(from - 2 * 86_400_000, tz);
  let cursor = Date.UTC(first.year, first.month - 1, first.day);
  const last = to + 2 * 86_400_000;
  for (let guard = 0; guard < 400 && cursor <= last; guard++, cursor += 86_400_000) {
    const d = new Date(cursor);
    const weekday = WEEKDAYS[d.getUTCDay()]!;
    if (!schedule.days.includes(weekday)) continue;
    const [y, mo, da] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
    const start = zonedTime(y, mo, da, sh, sm, tz);
    const endDay = overnight ? new Date(cursor + 86_400_000) : d;
    const end = zonedTime(endDay.getUTCFullYear(), endDay.getUTCMonth() + 1, endDay.getUTCDate(), eh, em, tz);
    if (end > from && start <= to && end > start) out.push({ start, end });
  }
  return out;
}

/** The occurrence open at `now`, if any. */
export function openOccurrence(schedule: WindowSchedule, now: number): Occurrence | undefined {
  return occurrences(schedule, now, now).find((o) => o.start <= now && now < o.end);
}

/** The next time the window opens or closes after `now` (within 8 days), for listings. */
export function nextBoundary(schedule: WindowSchedule, now: number): number | undefined {
  const times = occurrences(schedule, now, now + 8 * 86_400_000).flatMap((o) => [o.start, o.end]).filter((t) => t > now);
  return times.length > 0 ? Math.min(...times) : undefined;
}

/** A window as the config file or an API body gives it, before validation. */
export interface WindowInput {
  name: string;
  matchers: readonly (string | { field: string; op: string; value: string })[];
  time_zone?: string | undefined;
  days?: readonly string[] | undefined;
  start?: string | undefined;
  end?: string | undefined;
  starts_at?: number | undefined;
  ends_at?: number | undefined;
  comment?: string | undefined;
}

/** Validates a window (pure): a recurring one needs time_zone, days, start and end; a one-off starts_at < ends_at. */
export function validateWindow(input: WindowInput, limits: { maxDurationDays: number }): Pick<MaintenanceWindow, 'name' | 'matchers' | 'schedule' | 'comment'> {
  const name = input.name.trim();
  if (!/^[\w .:-]{1,80}$/.test(name)) throw new AppError('INPUT_INVALID', 'a window needs a name of 1 to 80 letters, digits, spaces or . : _ -');
  const matchers = parseMatchers(input.matchers);
  const comment = (input.comment ?? '').trim().slice(0, 1_000);
  const recurring = input.days !== undefined || input.start !== undefined || input.end !== undefined || input.time_zone !== undefined;
  const oneOff = input.starts_at !== undefined || input.ends_at !== undefined;
  if (recurring === oneOff) throw new AppError('INPUT_INVALID', `window "${name}": give either days + start + end + time_zone (recurring) or starts_at + ends_at (once)`);
  if (oneOff) {
    if (input.starts_at === undefined || input.ends_at === undefined) throw new AppError('INPUT_INVALID', `window "${name}": a one-off window needs starts_at and ends_at`);
    if (input.ends_at <= input.starts_at) throw new AppError('INPUT_INVALID', `window "${name}": the end is not after the start`);
    if (input.ends_at - input.starts_at > limits.maxDurationDays * 86_400_000) {
      throw new AppError('INPUT_INVALID', `window "${name}": a one-off window may last at most ${limits.maxDurationDays} days (silences.maxDurationDays)`);
    }
    return { name, matchers, comment, schedule: { starts_at: input.starts_at, ends_at: input.ends_at } };
  }
  if (!input.time_zone) throw new AppError('INPUT_INVALID', `window "${name}": a recurring window needs time_zone (e.g. Europe/Berlin or UTC)`);
  const timeZone = checkTimeZone(input.time_zone);
  if (!input.days || input.days.length === 0) throw new AppError('INPUT_INVALID', `window "${name}": give days, e.g. [sun] or [mon, tue, wed, thu, fri]`);
  const days: Weekday[] = [];
  for (const d of input.days) {
    const day = d.trim().toLowerCase().slice(0, 3) as Weekday;
    if (!WEEKDAYS.includes(day) || d.trim().length < 3) throw new AppError('INPUT_INVALID', `window "${name}": unknown day "${d.slice(0, 20)}"; use ${WEEKDAYS.join(', ')}`);
    if (!days.includes(day)) days.push(day);
  }
  for (const [key, value] of [['start', input.start], ['end', input.end]] as const) {
    if (!value || !HHMM.test(value)) throw new AppError('INPUT_INVALID', `window "${name}": ${key} must be a 24-hour time HH:MM, e.g. 02:00`);
  }
  if (input.start === input.end) throw new AppError('INPUT_INVALID', `window "${name}": start and end are the same time`);
  return { name, matchers, comment, schedule: { time_zone: timeZone, days, start: input.start!, end: input.end! } };
}

/** "sun 02:00–04:00 Europe/Berlin" or "2026-12-03T10:00Z – 2026-12-03T12:00Z". */
export function describeSchedule(s: WindowSchedule): string {
  if ('starts_at' in s) return `${new Date(s.starts_at).toISOString()} – ${new Date(s.ends_at).toISOString()}`;
  return `${s.days.join(',')} ${s.start}–${s.end} ${s.time_zone}`;
}

/** A config file window (times as ISO text) as a WindowInput; throws INPUT_INVALID like validateWindow. */
export function configWindowInput(w: {
  name: string;
  matchers: string[];
  time_zone?: string | undefined;
  days?: string[] | undefined;
  start?: string | undefined;
  end?: string | undefined;
  starts_at?: string | undefined;
  ends_at?: string | undefined;
  comment?: string | undefined;
}): WindowInput {
  const at = (text: string | undefined, what: string): number | undefined => {
    if (text === undefined) return undefined;
    const ms = Date.parse(text);
    if (!/(Z|[+-]\d{2}:\d{2})$/.test(text.trim()) || !Number.isFinite(ms)) throw new AppError('INPUT_INVALID', `window "${w.name}": ${what} must be an ISO 8601 time with its zone`);
    return ms;
  };
  return { ...w, starts_at: at(w.starts_at, 'starts_at'), ends_at: at(w.ends_at, 'ends_at') };
}

/** Every problem of the config file's windows, by index (for the config schema; names must be unique). */
export function configWindowProblems(windows: Parameters<typeof configWindowInput>[0][], maxDurationDays: number): [number, string][] {
  const problems: [number, string][] = [];
  const names = new Set<string>();
  windows.forEach((w, i) => {
    try {
      validateWindow(configWindowInput(w), { maxDurationDays });
      if (names.has(w.name.trim())) problems.push([i, `another window is also named "${w.name}"`]);
      names.add(w.name.trim());
    } catch (err) {
      problems.push([i, err instanceof Error ? err.message : String(err)]);
    }
  });
  return problems;
}
