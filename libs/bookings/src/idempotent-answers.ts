import type { DomainError } from '#libs/shared';
import type { BookingRow } from './booking-row';

/**
 * The answer an Idempotency-Key replays: exactly what its first request was answered, status and
 * body as they were sent. Opaque to the services: they store it and hand it back, never read it.
 */
export interface StoredAnswer {
  status: number;
  body: unknown;
}

/**
 * How a decided booking request is answered, for storing under its Idempotency-Key in the
 * transaction that decided it (admission, amendment). The HTTP layer provides it
 * (`BookingHttpAnswers`, beside the controller) and answers live requests with the same
 * methods, so a replay is the first answer byte for byte while the services speak only of
 * bookings and refusals.
 */
export abstract class IdempotentAnswers {
  /** `POST /v1/bookings` admitted the booking. */
  abstract created(booking: BookingRow): StoredAnswer;
  /** `POST /v1/bookings` was refused. */
  abstract createRefused(error: DomainError): StoredAnswer;
  /** `PATCH /v1/bookings/{id}` amended the booking. */
  abstract amended(booking: BookingRow): StoredAnswer;
  /** `PATCH /v1/bookings/{id}` was refused. */
  abstract amendmentRefused(bookingId: string, error: DomainError): StoredAnswer;
}
