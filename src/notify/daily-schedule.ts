import { AppError } from '../errors.js';

/** Wall-clock parts of an instant in a time zone (Intl does the zone rules, DST included). */
function zoned(ms: number, timeZone: string): { y: number; m: number; d: number; hh: number; mm: number; ss: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return { y: get('year'), m: get('month'), d: get('day'), hh: get('hour') % 24, mm: get('minute'), ss: get('second') };
}

export function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `discord.digest.timezone: unknown time zone "${timeZone}" (use an IANA name like Europe/Berlin)`, { cause: err });
  }
}

/** The local calendar date (YYYY-MM-DD) of an instant in a time zone: the digest's de-dup key. */
export function localDate(ms: number, timeZone: string): string {
  const z = zoned(ms, timeZone);
  return `${z.y}-${String(z.m).padStart(2, '0')}-${String(z.d).padStart(2, '0')}`;
}

/** The instant of HH:MM on the local date of `dayMs` in the zone (for a skipped DST hour: the next valid instant). */
export function atLocalTime(dayMs: number, hhmm: string, timeZone: string): number {
  const [hh, mm] = hhmm.split(':').map(Number) as [number, number];
  const z = zoned(dayMs, timeZone);
  const wanted = Date.UTC(z.y, z.m - 1, z.d, hh, mm);
  let guess = wanted;
  for (let i = 0; i < 3; i++) {
    const g = zoned(guess, timeZone);
    const shown = Date.UTC(g.y, g.m - 1, g.d, g.hh, g.mm, g.ss);
    guess += wanted - shown;
  }
  return guess - (guess % 60_000);
}

/** The next daily run at HH:MM in the zone strictly after nowMs. */
export function nextDailyRun(nowMs: number, hhmm: string, timeZone: string): number {
  // A 25-hour day can put now + 24 h on the same local date, so step until the instant is in the future.
  for (let day = 0; day < 4; day++) {
    const at = atLocalTime(nowMs + day * 24 * 3_600_000, hhmm, timeZone);
    if (at > nowMs) return at;
  }
  return atLocalTime(nowMs + 4 * 24 * 3_600_000, hhmm, timeZone);
}
