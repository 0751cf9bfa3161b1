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
