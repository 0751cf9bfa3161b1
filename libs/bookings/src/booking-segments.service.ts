import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { BookingRow } from './booking-row';
import { BookingsRepository } from './bookings.repository';

/**
 * The bookings' flight segments as libs/disruptions changes them when a flight is cancelled:
 * thin, each one statement of `BookingsRepository` in the caller's transaction, so that the
 * cancellation and each disruption chunk stay one transaction with their lock order (bookings
 * first, then inboxes, then the flight).
 */
@Injectable()
export class BookingSegments {
  constructor(private readonly bookings: BookingsRepository) {}

  /** Live bookings with a segment on each of these (locked) flights; every id gets a count. */
  async countLiveOnFlights(manager: EntityManager, flightIds: string[]): Promise<Map<string, number>> {
    return this.bookings.countLiveOnFlights(manager, flightIds);
  }

  /** Live bookings with a segment on this flight, locked in id order, at most `limit`. */
  async lockLiveOnFlight(manager: EntityManager, flightId: string, limit: number): Promise<BookingRow[]> {
    return this.bookings.lockLiveOnFlight(manager, flightId, limit);
  }

  /** Clears whichever segment of these locked bookings is on the flight; the bookings keep their stay. */
  async clearFlight(manager: EntityManager, ids: string[], flightId: string): Promise<BookingRow[]> {
    return this.bookings.clearFlight(manager, ids, flightId);
  }
}
