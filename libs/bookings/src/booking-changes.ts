import type { BookingRow, StoredGuest } from './booking-row';
import { hashRequestBody } from './booking-request-hash';

export interface FieldChange<T> {
  from: T;
  to: T;
}

/** A party as changes report it: how many guests, of which nationalities. Never names, passports or dates of birth. */
export interface PartySummary {
  count: number;
  /** Guests per nationality, e.g. `{"GB": 1, "RU": 2}`. */
  nationalities: Record<string, number>;
}

/** The fields of a booking an amendment changed, each `{from, to}`; guests only as counts and nationalities. */
export interface BookingChanges {
  checkIn?: FieldChange<string>;
  checkOut?: FieldChange<string>;
  guests?: FieldChange<PartySummary>;
  outboundFlightId?: FieldChange<string | null>;
  returnFlightId?: FieldChange<string | null>;
}

/** What an amendment can change of a booking. */
export type AmendableFields = Pick<BookingRow, 'checkIn' | 'checkOut' | 'outboundFlightId' | 'returnFlightId'> & { guests: StoredGuest[] };

/**
 * The changed fields from `before` to `after`, in the one shape the `booking.amended`
 * notification (and the audit trail) report. Guests count as changed when the list differs in
 * any way (a corrected name too), but are reported only as counts and nationalities.
 */
export function bookingChanges(before: AmendableFields, after: AmendableFields): BookingChanges {
  const changes: BookingChanges = {};
  if (before.checkIn !== after.checkIn) changes.checkIn = { from: before.checkIn, to: after.checkIn };
  if (before.checkOut !== after.checkOut) changes.checkOut = { from: before.checkOut, to: after.checkOut };
  if (!sameGuests(before.guests, after.guests)) changes.guests = { from: partySummaryOf(before.guests), to: partySummaryOf(after.guests) };
  if (before.outboundFlightId !== after.outboundFlightId)
    changes.outboundFlightId = { from: before.outboundFlightId, to: after.outboundFlightId };
  if (before.returnFlightId !== after.returnFlightId) changes.returnFlightId = { from: before.returnFlightId, to: after.returnFlightId };
  return changes;
}

export function partySummaryOf(guests: { nationality: string }[]): PartySummary {
  const nationalities: Record<string, number> = {};
  for (const nationality of guests.map((guest) => guest.nationality).sort())
    nationalities[nationality] = (nationalities[nationality] ?? 0) + 1;
  return { count: guests.length, nationalities };
}

/** The same guests in the same order, whatever the key order of their stored JSON. */
function sameGuests(a: StoredGuest[], b: StoredGuest[]): boolean {
  return a.length === b.length && hashRequestBody(a) === hashRequestBody(b);
}
