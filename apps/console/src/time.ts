/** Dates and instants as the resort lives them: every date and time shown is in the resort's zone. */

export interface ResortSettings {
  timeZone: string;
  homeCountry: string;
}

const DAY_MS = 86_400_000;

/** Today's date (YYYY-MM-DD) in the resort. */
export function resortToday(timeZone: string, now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The weekday of a calendar date (the date is the resort's own, no zone involved). */
export function weekdayOf(date: string): string {
  return new Intl.DateTimeFormat('en-GB', { weekday: 'short', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
}

/** An instant in the resort's zone, e.g. "1 Jul 2027, 14:30 GMT+9". */
export function formatInstant(instant: string | null | undefined, timeZone: string): string {
  if (!instant) return '—';
  return (
    new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(instant)) +
    ` ${zoneLabel(timeZone, new Date(instant))}`
  );
}

function zoneLabel(timeZone: string, at: Date): string {
  const part = new Intl.DateTimeFormat('en-GB', { timeZone, timeZoneName: 'short' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? timeZone;
}

/** Minutes east of UTC of `timeZone` at `at`. */
function offsetMinutes(timeZone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(at));
  const value = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(value('year'), value('month') - 1, value('day'), value('hour'), value('minute'), value('second'));
  return Math.round((local - Math.floor(at / 1000) * 1000) / 60_000);
}

/** A resort wall-clock time (`YYYY-MM-DDTHH:mm`, as a datetime-local field gives it) as an ISO instant with the resort's offset. */
export function resortInstant(localDateTime: string, timeZone: string): string {
  const wall = Date.parse(`${localDateTime.length === 16 ? `${localDateTime}:00` : localDateTime}Z`);
  let offset = offsetMinutes(timeZone, wall);
  offset = offsetMinutes(timeZone, wall - offset * 60_000);
  const sign = offset >= 0 ? '+' : '-';
  const magnitude = Math.abs(offset);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${localDateTime.slice(0, 16)}:00${sign}${pad(Math.floor(magnitude / 60))}:${pad(magnitude % 60)}`;
}

/** Now as a resort wall-clock time for a datetime-local field. */
export function resortNowLocal(timeZone: string, now = Date.now()): string {
  const shifted = new Date(now + offsetMinutes(timeZone, now) * 60_000);
  return shifted.toISOString().slice(0, 16);
}

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** "RU (Russia)"; unknown codes as they are. */
export function countryLabel(code: string): string {
  try {
    const name = countryNames.of(code);
    return name && name !== code ? `${code} (${name})` : code;
  } catch {
    return code;
  }
}

export function formatNumber(value: number): string {
  return value.toLocaleString('en-GB');
}
