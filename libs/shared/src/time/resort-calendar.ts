/**
 * Pure date arithmetic on resort-local calendar dates (`YYYY-MM-DD`).
 * A calendar date has no time zone of its own; we compute on them as UTC midnights
 * so that daylight-saving changes can never shift a night.
 */
const DAY_MS = 86_400_000;
/** Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar. */
const DAYS_BEFORE_EPOCH = 719_468;
/** Days in each 400-year cycle of the Gregorian calendar. */
const DAYS_PER_ERA = 146_097;
const ZERO = 48; // '0'
const DASH = 45; // '-'

/**
 * Days since 1970-01-01 of year, month (1–12), day (1–31), and back: the civil-calendar formulas
 * of Howard Hinnant ("chrono-compatible low-level date algorithms"), years counted from March so
 * that February's leap day comes last. Integer arithmetic only: the booking path names a few
 * dozen dates per request, and a `Date` plus `toISOString()` per date was a visible part of its
 * CPU profile. Exact for every year from 0 to 9999 (a property test compares them with `Date`).
 */
function dayNumberOfCivil(year: number, month: number, day: number): number {
  const marchYear = month <= 2 ? year - 1 : year;
  const era = Math.floor(marchYear / 400);
  const yearOfEra = marchYear - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * DAYS_PER_ERA + dayOfEra - DAYS_BEFORE_EPOCH;
}

function civilOfDayNumber(dayNumber: number): { year: number; month: number; day: number } {
  const shifted = dayNumber + DAYS_BEFORE_EPOCH;
  const era = Math.floor(shifted / DAYS_PER_ERA);
  const dayOfEra = shifted - era * DAYS_PER_ERA;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const marchMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * marchMonth + 2) / 5) + 1;
  const month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The value of `length` ASCII digits of `text` from `start`, or -1 if any is not a digit. */
function digitsAt(text: string, start: number, length: number): number {
  let value = 0;
  for (let index = start; index < start + length; index++) {
    const digit = text.charCodeAt(index) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * The UTC midnight (ms) of a real calendar date written YYYY-MM-DD, else undefined. Years below
 * 100 are not dates here (they never were: `Date.UTC` reads them as 19xx), nor is anything but
 * exactly ten characters.
 */
function utcMidnightOf(value: string): number | undefined {
  if (value.length !== 10 || value.charCodeAt(4) !== DASH || value.charCodeAt(7) !== DASH) return undefined;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  if (year < 100 || month < 1 || month > 12 || day < 1) return undefined;
  if (day > (month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1])) return undefined;
  return dayNumberOfCivil(year, month, day) * DAY_MS;
}

export function isCalendarDate(value: unknown): value is string {
  return typeof value === 'string' && utcMidnightOf(value) !== undefined;
}

function toUtcMidnight(date: string): number {
  const midnight = utcMidnightOf(date);
  if (midnight === undefined) throw new RangeError(`not a calendar date: ${date}`);
  return midnight;
}

const twoDigits = (value: number): string => (value < 10 ? `0${value}` : String(value));

/** YYYY-MM-DD of a UTC midnight; outside years 0–9999 as `toISOString` writes them (never reached by valid input). */
function calendarDateAt(utcMidnight: number): string {
  const { year, month, day } = civilOfDayNumber(Math.floor(utcMidnight / DAY_MS));
  if (year < 0 || year > 9999) return new Date(utcMidnight).toISOString().slice(0, 10);
  return `${String(year).padStart(4, '0')}-${twoDigits(month)}-${twoDigits(day)}`;
}

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
