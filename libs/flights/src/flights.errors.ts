import { DomainError } from '#libs/shared';

/** Which leg of a stay a flight is booked for. */
export type FlightSegment = 'outbound' | 'return';

export interface ShortFlight {
  flightId: string;
  segment: FlightSegment;
  requested: number;
  available: number;
}

export class SeatsExhausted extends DomainError {
  readonly code = 'seats_exhausted';
  readonly status = 409;
  readonly title = 'Not enough seats';

  constructor(readonly shortFlights: ShortFlight[]) {
    super(
      shortFlights
        .map((flight) => `${flight.segment} flight ${flight.flightId}: ${flight.available} seats available, ${flight.requested} requested`)
        .join('; '),
      { shortFlights },
    );
  }
}

export type FlightUnavailableReason = 'cancelled' | 'departed';

/** The flight exists and fits the stay, but it is cancelled or has already departed. */
export class FlightUnavailable extends DomainError {
  readonly code = 'flight_unavailable';
  readonly status = 409;
  readonly title = 'The flight is cancelled or has departed';

  constructor(flightId: string, segment: FlightSegment, reason: FlightUnavailableReason) {
    super(`${segment} flight ${flightId} ${reason === 'cancelled' ? 'is cancelled' : 'has already departed'}`, {
      flightId,
      segment,
      reason,
    });
  }
}

export type FlightMismatchReason = 'unknown_flight' | 'wrong_airport' | 'wrong_date';

/**
 * The flight does not fit the stay: an outbound flight must arrive at the resort airport on the
 * check-in date, a return flight leave it on the check-out date (resort time). An id that names
 * no flight is a mismatch too (`reason: unknown_flight`): the body is well-formed, it just
 * cannot be honoured.
 */
export class FlightMismatch extends DomainError {
  readonly code = 'flight_mismatch';
  readonly status = 422;
  readonly title = 'The flight does not fit the stay';

  constructor(flightId: string, segment: FlightSegment, reason: FlightMismatchReason, detail: string) {
    super(detail, { flightId, segment, reason });
  }
}

export class SeatsBelowReserved extends DomainError {
  readonly code = 'capacity_below_reserved';
  readonly status = 409;
  readonly title = 'Seats cannot go below what is already reserved';

  constructor(flightId: string, requested: number, reserved: number) {
    super(`flight ${flightId} has ${reserved} seats reserved; ${requested} seats is too few`, { flightId, reserved, requested });
  }
}
