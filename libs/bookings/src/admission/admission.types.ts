import type { AuditOrigin } from '#libs/audit';
import type { DomainError } from '#libs/shared';
import type { BookingRow, Guest } from '../booking-row';
import type { StoredAnswer } from '../idempotent-answers';

/** A validated booking request on its way into the admission transaction. */
export interface AdmissionRequest {
  agencyId: string;
  createdByKeyId: string | null;
  checkIn: string;
  checkOut: string;
  /** The nights of the stay, `[checkIn, checkOut)`. */
  nights: string[];
  guests: Guest[];
  hold: boolean;
  holdExpiresAt: Date | null;
  outboundFlightId: string | null;
  returnFlightId: string | null;
  idempotency: { key: string; requestHash: string } | null;
  /** The caller and request id, for the booking's `booking.created` audit event. */
  origin: AuditOrigin;
}

export type AdmissionOutcome =
  | { kind: 'created'; booking: BookingRow }
  | { kind: 'refused'; error: DomainError }
  /** The Idempotency-Key was used before: the first answer, as it was sent. */
  | { kind: 'replayed'; answer: StoredAnswer };
