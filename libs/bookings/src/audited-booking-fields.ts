import type { BookingRow } from './booking-row';

/** The fields of a booking whose changes the audit trail records; guests appear only as their count and nationalities. */
export const AUDITED_BOOKING_FIELDS: (keyof BookingRow)[] = [
  'status',
  'checkIn',
  'checkOut',
  'guestCount',
  'nationalities',
  'holdExpiresAt',
  'outboundFlightId',
  'returnFlightId',
];
