import { DomainError, localDateOf } from '#libs/shared';
import type { FlightRow } from './flight-row';
import { FlightMismatch, FlightSegment, FlightUnavailable, ShortFlight } from './flights.errors';

export interface SegmentContext {
  checkIn: string;
  checkOut: string;
  resortAirport: string;
  resortTimeZone: string;
  /** When the booking is decided: a flight that has departed by then carries no one new. */
  now: Date;
}

/** The segment context of a stay under the resort's settings. */
export function segmentContextOf(
  stay: { checkIn: string; checkOut: string },
  settings: { RESORT_AIRPORT: string; RESORT_TIMEZONE: string },
  now: Date,
): SegmentContext {
  return {
    checkIn: stay.checkIn,
    checkOut: stay.checkOut,
    resortAirport: settings.RESORT_AIRPORT,
    resortTimeZone: settings.RESORT_TIMEZONE,
    now,
  };
}

type SegmentFlight = Pick<FlightRow, 'origin' | 'destination' | 'departureAt' | 'arrivalAt' | 'status'>;

/** No flight: always the refusal `unknown_flight`. */
export function segmentRefusal(segment: FlightSegment, flightId: string, flight: undefined, context: SegmentContext): DomainError;
/**
 * Why `flight` cannot carry a stay's `segment`, or undefined if it can (seats aside: those are
 * counted against the locked flight by the caller). Checked in this order: the flight exists,
 * it serves the resort airport in the right direction, on the right resort-local date, it is
 * not cancelled and it has not departed — so a wrong flight is reported as wrong even when it
 * is also cancelled or gone (a check-in of today may name this morning's flight).
 */
export function segmentRefusal(
  segment: FlightSegment,
  flightId: string,
  flight: SegmentFlight | undefined,
  context: SegmentContext,
): DomainError | undefined;
export function segmentRefusal(
  segment: FlightSegment,
  flightId: string,
  flight: Pick<FlightRow, 'origin' | 'destination' | 'departureAt' | 'arrivalAt' | 'status'> | undefined,
  context: SegmentContext,
): DomainError | undefined {
  if (!flight) return new FlightMismatch(flightId, segment, 'unknown_flight', `${segment} flight ${flightId} does not exist`);
  if (segment === 'outbound') {
    if (flight.destination !== context.resortAirport) {
      return new FlightMismatch(
        flightId,
        segment,
        'wrong_airport',
        `outbound flight ${flightId} goes to ${flight.destination}, not to the resort airport ${context.resortAirport}`,
      );
    }
    const arrivalDate = localDateOf(new Date(flight.arrivalAt), context.resortTimeZone);
    if (arrivalDate !== context.checkIn) {
      return new FlightMismatch(
        flightId,
        segment,
        'wrong_date',
        `outbound flight ${flightId} arrives on ${arrivalDate} (resort time), not on the check-in date ${context.checkIn}`,
      );
    }
  } else {
    if (flight.origin !== context.resortAirport) {
      return new FlightMismatch(
        flightId,
        segment,
        'wrong_airport',
        `return flight ${flightId} leaves from ${flight.origin}, not from the resort airport ${context.resortAirport}`,
      );
    }
    const departureDate = localDateOf(new Date(flight.departureAt), context.resortTimeZone);
    if (departureDate !== context.checkOut) {
      return new FlightMismatch(
        flightId,
        segment,
        'wrong_date',
        `return flight ${flightId} leaves on ${departureDate} (resort time), not on the check-out date ${context.checkOut}`,
      );
    }
  }
  if (flight.status === 'cancelled') return new FlightUnavailable(flightId, segment, 'cancelled');
  if (new Date(flight.departureAt) <= context.now) return new FlightUnavailable(flightId, segment, 'departed');
  return undefined;
}

/** How `flight` (as locked, with what is already counted on it) falls short of `guests` seats, if it does. */
export function seatShortfall(
  segment: FlightSegment,
  flightId: string,
  flight: Pick<FlightRow, 'seats' | 'seatsReserved'>,
  guests: number,
): ShortFlight | undefined {
  const available = flight.seats - flight.seatsReserved;
  return guests > available ? { flightId, segment, requested: guests, available: Math.max(available, 0) } : undefined;
}
