import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CapacityRepository, nightDeltasFor } from '#libs/capacity';
import { FlightsRepository } from '#libs/flights';
import { Metrics } from '#libs/observability';
import { NewNotification, NotificationsRepository } from '#libs/notifications';
import { BookingRow, CancellationReason } from './booking.entity';
import { BookingsRepository, CancelledBooking } from './bookings.repository';

/** What `cancelLocked` needs of a booking its caller locked. */
export type LockedBooking = Pick<BookingRow, 'id' | 'status'>;

export interface Cancellation {
  reason: CancellationReason;
  restrictionId?: string | null;
}

/**
 * Cancels bookings inside the caller's transaction: status and reason, the capacity and flight
 * seats they held released (nights in date order, then flights in id order), and the agency's
 * notification written in the same transaction. Used by agent and operations cancellation, hold
 * expiry and ban enforcement alike.
 *
 * Callers must have locked the bookings (`FOR UPDATE`) first; bookings that are already
 * cancelled are skipped, so running the same cancellation twice releases and notifies once.
 * They open their transaction with `transaction` (not the DataSource's), so that
 * `kalma_bookings_cancelled_total` counts a cancellation only once it has committed: a chunk
 * rolled back (a ban lifted mid-chunk, a lost connection) counts nothing.
 */
@Injectable()
export class BookingCancellation {
  /** Cancellations made in a transaction still open, by its manager: counted when it commits. */
  private readonly uncommitted = new WeakMap<EntityManager, Map<CancellationReason, number>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bookings: BookingsRepository,
    private readonly capacity: CapacityRepository,
    private readonly flights: FlightsRepository,
    private readonly notifications: NotificationsRepository,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Runs `work` in a transaction in which `cancelLocked` may be called; the cancellations it
   * made are counted in the metrics after the commit, and not at all if it rolls back.
   */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const cancelled = new Map<CancellationReason, number>();
    const result = await this.dataSource.transaction(async (manager) => {
      this.uncommitted.set(manager, cancelled);
      return work(manager);
    });
    for (const [reason, count] of cancelled) this.metrics.bookingsCancelled.inc({ reason }, count);
    return result;
  }

  /** Only the id and status of the locked bookings are read: bulk callers need not load whole rows. */
  async cancelLocked(manager: EntityManager, locked: LockedBooking[], cancellation: Cancellation): Promise<CancelledBooking[]> {
    const counted = this.uncommitted.get(manager);
    // A programming error, not a request's: every cancelling transaction must be opened by `transaction` above.
    if (!counted) throw new Error('cancelLocked must run in a transaction opened by BookingCancellation.transaction');
    const live = locked.filter((booking) => booking.status !== 'cancelled');
    if (live.length === 0) return [];
    const cancelled = await this.bookings.markCancelled(
      manager,
      live.map((booking) => booking.id),
      { reason: cancellation.reason, restrictionId: cancellation.restrictionId ?? null },
    );
    // The notifications first, then the night (and seat) counters: those rows are what every
    // admission waits for, so they are locked as late, and held as briefly, as possible.
    await this.notifications.insertMany(manager, cancelled.flatMap((booking) => this.notificationFor(booking, cancellation)));
    const wasHeld = new Map(live.map((booking) => [booking.id, booking.status === 'held']));
    await this.capacity.lockAndAddToNights(
      manager,
      nightDeltasFor(
        cancelled.map((booking) => ({
          checkIn: booking.checkIn,
          checkOut: booking.checkOut,
          guests: booking.guestCount,
          held: wasHeld.get(booking.id) ?? false,
        })),
        -1,
      ),
    );
    // Only the bookings this call cancelled release seats, so a seat is given back exactly once. A
    // booking keeps its flight ids once cancelled (history); a segment a disruption already took
    // off has its id cleared and releases nothing here.
    await this.flights.lockAndAddToSeats(
      manager,
      cancelled.flatMap((booking) =>
        [booking.outboundFlightId, booking.returnFlightId].flatMap((flightId) => (flightId ? [{ flightId, seats: -booking.guestCount }] : [])),
      ),
    );
    counted.set(cancellation.reason, (counted.get(cancellation.reason) ?? 0) + cancelled.length);
    return cancelled;
  }

  /** The agency is told about cancellations it did not ask for. */
  private notificationFor(booking: CancelledBooking, cancellation: Cancellation): NewNotification[] {
    if (cancellation.reason === 'agent_request') return [];
    const data = {
      bookingId: booking.id,
      reference: booking.reference,
      reason: cancellation.reason,
      checkIn: booking.checkIn,
      checkOut: booking.checkOut,
      ...(cancellation.restrictionId ? { restrictionId: cancellation.restrictionId } : {}),
    };
    if (cancellation.reason === 'hold_expired') {
      return [{ agencyId: booking.agencyId, type: 'booking.hold_expired', data, dedupeKey: `booking:${booking.id}:hold_expired` }];
    }
    return [{ agencyId: booking.agencyId, type: 'booking.cancelled', data, dedupeKey: `booking:${booking.id}:cancelled` }];
  }
}
