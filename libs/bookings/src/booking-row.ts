import { Narrowed, RowOf, selectList } from '#libs/database';

export type BookingStatus = 'held' | 'confirmed' | 'cancelled';
export const BOOKING_STATUSES: BookingStatus[] = ['held', 'confirmed', 'cancelled'];
export type CancellationReason = 'agent_request' | 'operations' | 'restriction' | 'hold_expired';
export type ActionRequiredReason = 'guests_removed';

export interface Guest {
  fullName: string;
  nationality: string;
  dateOfBirth?: string;
  passportNumber?: string;
}

/** A guest as stored: once the booking is anonymised only the nationality is left (`fullName` null). */
export type StoredGuest = Guest | AnonymisedGuest;

export interface AnonymisedGuest {
  fullName: null;
  nationality: string;
}

/**
 * The columns of `bookings` a booking is read with (every one but `created_by_key_id`, which only
 * the audit trail needs, and `party`, the composition the preview counters key on), in `SELECT`
 * and `RETURNING` as `FROM bookings b`.
 */
export const BOOKING_SELECT = selectList('bookings', 'b', [
  'id',
  'reference',
  'agency_id',
  'status',
  'check_in',
  'check_out',
  'guests',
  'guest_count',
  'nationalities',
  'hold_expires_at',
  'outbound_flight_id',
  'return_flight_id',
  'cancellation_reason',
  'cancellation_restriction_id',
  'cancelled_at',
  'anonymised_at',
  'action_required_reason',
  'action_required_restriction_id',
  'action_required_deadline',
  'version',
  'created_at',
  'updated_at',
]);

/** The domain's types for the columns the schema types only as text or jsonb. */
interface BookingNarrowing {
  status: BookingStatus;
  guests: StoredGuest[];
  cancellationReason: CancellationReason | null;
  actionRequiredReason: ActionRequiredReason | null;
}

/**
 * A reservation of nights (and optionally flight seats) for a party of guests, as the repository
 * reads it. `reference` is the short human one (KAL-7F3K9Q); `version` is 1 at creation and +1 on
 * every change (kept by a trigger), what ETag and If-Match compare; `anonymisedAt` is when the
 * guests' personal data was erased; `actionRequired*` is set when a restriction's enforcement
 * removed guests and the agency (policy `ask`) must keep or cancel by the deadline.
 */
export type BookingRow = Narrowed<RowOf<typeof BOOKING_SELECT>, BookingNarrowing>;

/**
 * What cancelling a booking needs to know of it afterwards: nights and seats to release, the
 * agency to notify. Bulk cancellations (a ban: thousands per transaction) return only this,
 * not the guest lists and timestamps, which the worker would otherwise parse for nothing.
 */
export const CANCELLED_BOOKING_SELECT = selectList('bookings', 'b', [
  'id',
  'reference',
  'agency_id',
  'check_in',
  'check_out',
  'guest_count',
  'outbound_flight_id',
  'return_flight_id',
]);
export type CancelledBooking = RowOf<typeof CANCELLED_BOOKING_SELECT>;

/** What anonymising a booking leaves to report on it: who, how many, which nationalities. */
export const ANONYMISED_BOOKING_SELECT = selectList('bookings', 'b', ['id', 'agency_id', 'guest_count', 'nationalities', 'anonymised_at']);
export type AnonymisedBooking = RowOf<typeof ANONYMISED_BOOKING_SELECT>;
