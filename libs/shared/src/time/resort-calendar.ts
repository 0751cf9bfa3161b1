/**
 * Pure date arithmetic on resort-local calendar dates (`YYYY-MM-DD`).
 * A calendar date has no time zone of its own; we compute on them as UTC midnights
 * so that daylight-saving changes can never shift a night.
 */
const DAY_MS = 86_400_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The UTC midnight (ms) of a real calendar date written YYYY-MM-DD, else undefined. */
function utcMidnightOf(value: string): number | undefined {
  const match = DATE_PATTERN.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? date.getTime() : undefined;
}

export function isCalendarDate(value: unknown): value is string {
  return typeof value === 'string' && utcMidnightOf(value) !== undefined;
}

function toUtcMidnight(date: string): number {
  const midnight = utcMidnightOf(date);
  if (midnight === undefined) throw new RangeError(`not a calendar date: ${date}`);
  return midnight;
}

const calendarDateAt = (utcMidnight: number): string => new Date(utcMidnight).toISOString().slice(0, 10);

export function addDays(date: string, days: number): string {
  return calendarDateAt(toUtcMidnight(date) + days * DAY_MS);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((toUtcMidnight(to) - toUtcMidnight(from)) / DAY_MS);
}

/**
 * Days since 1970-01-01 of a calendar date, and back: integer arithmetic for code that walks
 * many nights (releasing thousands of stays at once) and names each date only once at the end.
 */
export function dayNumberOf(date: string): number {
  return toUtcMidnight(date) / DAY_MS;
}

export function dateOfDayNumber(day: number): string {
  return calendarDateAt(day * DAY_MS);
}

/** The nights of a stay `[checkIn, checkOut)`: every date from check-in up to, not including, check-out. */
export function nightsOfStay(checkIn: string, checkOut: string): string[] {
  const first = toUtcMidnight(checkIn);
  const count = Math.round((toUtcMidnight(checkOut) - first) / DAY_MS);
  return Array.from({ length: Math.max(count, 0) }, (_, index) => calendarDateAt(first + index * DAY_MS));
}

/** Building a formatter is costly (it loads zone data), so there is one per time zone. */
const formatters = new Map<string, Intl.DateTimeFormat>();
/**
 * Formatting is still a few microseconds, and the booking path asks for "today" on every
 * request: the last answer per time zone is kept for the rest of its second (time zone
 * offsets are whole seconds, so a date never changes within one).
 */
const lastAnswers = new Map<string, { second: number; date: string }>();

/** The calendar date an instant falls on in the given IANA time zone. */
export function localDateOf(instant: Date, timeZone: string): string {
  const second = Math.floor(instant.getTime() / 1000);
  const last = lastAnswers.get(timeZone);
  if (last && last.second === second) return last.date;
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // en-CA formats as YYYY-MM-DD.
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, formatter);
  }
  const date = formatter.format(instant);
  lastAnswers.set(timeZone, { second, date });
  return date;
}
