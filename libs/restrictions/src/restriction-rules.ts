import { localDateOf } from '#libs/shared';

/**
 * The pure rules of nationality restrictions: which nationalities one covers, which check-in
 * dates its window holds, what status it is in, and whether it refuses a booking. The
 * admission gate, the preview and enforcement all follow these; the SQL of
 * `restriction-sql.ts` is the same rule written for the database.
 */

/** Who a restriction covers. */
export type Coverage =
  | { allForeign: false; nationalities: string[] }
  /** Every nationality except the resort's home country and the exceptions. */
  | { allForeign: true; homeCountry: string; except: string[] };

/** Check-in dates `[from, to)`, resort-local; `to` null means open-ended. */
export interface RestrictionWindow {
  from: string;
  to: string | null;
}

export type RestrictionStatus = 'scheduled' | 'active' | 'lifted' | 'expired';
export const RESTRICTION_STATUSES: RestrictionStatus[] = ['scheduled', 'active', 'lifted', 'expired'];

/** What a restriction needs to be judged: the rules never look at anything else. */
export interface RestrictionTerms {
  id: string;
  coverage: Coverage;
  window: RestrictionWindow;
  effectiveFrom: Date;
  effectiveUntil: Date | null;
  liftedAt: Date | null;
}

export function covers(coverage: Coverage, nationality: string): boolean {
  return coverage.allForeign
    ? nationality !== coverage.homeCountry && !coverage.except.includes(nationality)
    : coverage.nationalities.includes(nationality);
}

/** The nationalities among `nationalities` that the coverage includes, distinct and sorted. */
export function coveredNationalities(coverage: Coverage, nationalities: Iterable<string>): string[] {
  return [...new Set([...nationalities].filter((nationality) => covers(coverage, nationality)))].sort();
}

/**
 * The window of check-in dates: from the resort-local date of `effectiveFrom` up to, not
 * including, the resort-local date of `effectiveUntil`.
 */
export function windowOf(effectiveFrom: Date, effectiveUntil: Date | null, timeZone: string): RestrictionWindow {
  return { from: localDateOf(effectiveFrom, timeZone), to: effectiveUntil ? localDateOf(effectiveUntil, timeZone) : null };
}

export function isInWindow(window: RestrictionWindow, checkIn: string): boolean {
  return checkIn >= window.from && (window.to === null || checkIn < window.to);
}

export function statusOf(terms: Pick<RestrictionTerms, 'effectiveFrom' | 'effectiveUntil' | 'liftedAt'>, now: Date): RestrictionStatus {
  if (terms.liftedAt) return 'lifted';
  if (now < terms.effectiveFrom) return 'scheduled';
  if (terms.effectiveUntil && now >= terms.effectiveUntil) return 'expired';
  return 'active';
}

/** Scheduled and active restrictions refuse new bookings; lifted and expired ones no longer do. */
export function refusesBookings(terms: RestrictionTerms, now: Date): boolean {
  const status = statusOf(terms, now);
  return status === 'scheduled' || status === 'active';
}

export interface Refusal {
  restrictionId: string;
  /** The nationalities of the party that the restriction covers. */
  nationalities: string[];
  window: RestrictionWindow;
}

/**
 * The first restriction (in the given order) that refuses a stay checking in on `checkIn`
 * for guests of `nationalities`, or undefined when none does.
 */
export function refusalFor(
  restrictions: RestrictionTerms[],
  booking: { checkIn: string; nationalities: Iterable<string> },
  now: Date,
): Refusal | undefined {
  const nationalities = [...booking.nationalities];
  for (const restriction of restrictions) {
    if (!refusesBookings(restriction, now) || !isInWindow(restriction.window, booking.checkIn)) continue;
    const covered = coveredNationalities(restriction.coverage, nationalities);
    if (covered.length > 0) return { restrictionId: restriction.id, nationalities: covered, window: restriction.window };
  }
  return undefined;
}

/** Age from which a guest counts as an adult, on the check-in date. */
export const ADULT_AGE = 18;

/**
 * Whether a guest born on `dateOfBirth` is an adult on `checkIn`: 18 or older that day. A guest
 * without a date of birth counts as an adult. Someone born on 29 February turns 18 on 1 March
 * of a common year (as Postgres's `date - interval '18 years'` has it, which the SQL uses).
 */
export function isAdultOn(dateOfBirth: string | null | undefined, checkIn: string): boolean {
  if (!dateOfBirth) return true;
  return dateOfBirth <= adultBornBy(checkIn);
}

/** The latest date of birth of an adult on `checkIn`. */
export function adultBornBy(checkIn: string): string {
  const [year, month, day] = checkIn.split('-').map(Number);
  const adultYear = year - ADULT_AGE;
  const lastDayOfMonth = new Date(Date.UTC(adultYear, month, 0)).getUTCDate();
  const pad = (value: number, width: number): string => String(value).padStart(width, '0');
  return `${pad(adultYear, 4)}-${pad(month, 2)}-${pad(Math.min(day, lastDayOfMonth), 2)}`;
}

/** What enforcement does with one affected booking: cancel it, or take its covered guests out. */
export type PartyOutcome = 'cancel' | 'reduce';

/**
 * The outcome for a booking with at least one covered guest: its agency's policy decides for a
 * party the restriction covers only partly, but a party left with nobody, or with no adult, is
 * cancelled under every policy. `partyOutcomeExpression` (restriction-sql.ts) is this rule in SQL.
 */
export function partyOutcome(
  coverage: Coverage,
  party: { checkIn: string; guests: { nationality: string; dateOfBirth?: string | null }[] },
  policy: 'cancel_booking' | 'remove_covered_guests' | 'ask',
): PartyOutcome {
  const kept = party.guests.filter((guest) => !covers(coverage, guest.nationality));
  if (kept.length === 0 || policy === 'cancel_booking') return 'cancel';
  return kept.some((guest) => isAdultOn(guest.dateOfBirth, party.checkIn)) ? 'reduce' : 'cancel';
}
