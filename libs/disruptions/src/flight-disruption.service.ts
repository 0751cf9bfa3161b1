import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { BookingRow, BookingsRepository } from '#libs/bookings';
import { AppConfig } from '#libs/config';
import { FlightRow, FlightsRepository, startOfLocalDate } from '#libs/flights';
import { jobIds, JobQueue } from '#libs/jobs';
import { NewNotification, NotificationsRepository } from '#libs/notifications';
import { Metrics } from '#libs/observability';
import { addDays, localDateOf } from '#libs/shared';

/** Bookings taken off a flight per transaction: bounds how long one transaction holds its locks. */
export const DISRUPTION_CHUNK_SIZE = 250;
/** Alternatives offered to an agency: same route, departing this many resort-local days either side. */
const ALTERNATIVE_WINDOW_DAYS = 2;
/** The reconciler leaves alone a disruption touched this recently (its job is likely running). */
const RECONCILE_IDLE_SECONDS = 10;
const RECONCILE_BATCH = 500;

export interface DisruptionProgress {
  flightId: string;
  releasedBookings: number;
  completed: boolean;
}

/**
 * Takes the live bookings off a cancelled flight: each keeps its stay, loses the segment (flight
 * id cleared, seat released) and its agency gets a `booking.flight_cancelled` notification naming
 * alternatives — all in one transaction per chunk, bookings locked before the flight.
 *
 * Idempotent: a chunk only ever finds bookings still on the flight, so a re-run (a retried job, the
 * reconciler, a crash mid-way) continues where the last committed chunk stopped, and the
 * notification's dedupe key makes a second write of the same event a no-op. A booking cancelled
 * meanwhile (by its agency, hold expiry or a ban) has already released its seat through
 * `BookingCancellation` and is not found here: every seat is released exactly once.
 */
@Injectable()
export class FlightDisruptionService {
  private readonly logger = new Logger(FlightDisruptionService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly flights: FlightsRepository,
    private readonly bookings: BookingsRepository,
    private readonly notifications: NotificationsRepository,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  /** Handles `disrupt-flight`. `onProgress` is told after every committed chunk. */
  async disruptFlight(flightId: string, onProgress?: (progress: DisruptionProgress) => Promise<void>): Promise<DisruptionProgress> {
    const flight = await this.flights.findFlight(flightId);
    if (!flight || flight.status !== 'cancelled' || flight.disruptionState === 'completed') {
      return { flightId, releasedBookings: 0, completed: flight?.disruptionState === 'completed' };
    }
    await this.flights.markDisruptionRunning(flightId);
    let releasedBookings = 0;
    for (;;) {
      const released = await this.dataSource.transaction((manager) => this.releaseChunk(manager, flight));
      if (released === undefined) break;
      releasedBookings += released;
      this.metrics.flightSegmentsReleased.inc(released);
      await onProgress?.({ flightId, releasedBookings, completed: false });
    }
    if (releasedBookings > 0) this.logger.log(`flight ${flight.flightNumber} (${flightId}): ${releasedBookings} bookings lost the segment`);
    const progress = { flightId, releasedBookings, completed: true };
    await onProgress?.(progress);
    return progress;
  }

  /** Handles `reconcile-flight-disruptions`: re-triggers every disruption left incomplete. */
  async reconcile(): Promise<number> {
    const incomplete = await this.flights.findIncompleteDisruptions(RECONCILE_IDLE_SECONDS, RECONCILE_BATCH);
    for (const flightId of incomplete) await this.jobs.retrigger('disrupt-flight', { flightId }, jobIds.disruptFlight(flightId));
    if (incomplete.length > 0) this.logger.log(`re-triggered ${incomplete.length} incomplete flight disruptions`);
    return incomplete.length;
  }

  /** One chunk in the caller's transaction: how many bookings it released, or undefined when none were left (and the disruption is completed). */
  private async releaseChunk(manager: EntityManager, cancelled: FlightRow): Promise<number | undefined> {
    const bookings = await this.bookings.lockLiveOnFlight(manager, cancelled.id, DISRUPTION_CHUNK_SIZE);
    await this.flights.lockFlights(manager, [cancelled.id]);
    if (bookings.length === 0) {
      await this.flights.markDisruptionCompleted(manager, cancelled.id);
      return undefined;
    }
    const cleared = await this.bookings.clearFlight(
      manager,
      bookings.map((booking) => booking.id),
      cancelled.id,
    );
    const seats = cleared.reduce((sum, booking) => sum + booking.guestCount, 0);
    await this.flights.addToSeats(manager, [{ flightId: cancelled.id, seats: -seats }]);
    const alternatives = await this.alternativesTo(manager, cancelled);
    const segmentOf = new Map(bookings.map((booking) => [booking.id, booking.outboundFlightId === cancelled.id ? 'outbound' : 'return']));
    await this.notifications.insertMany(
      manager,
      cleared.map((booking) => this.notificationFor(booking, segmentOf.get(booking.id) ?? 'outbound', cancelled, alternatives)),
    );
    await this.flights.addDisruptionProgress(manager, cancelled.id, cleared.length);
    return cleared.length;
  }

  private async alternativesTo(manager: EntityManager, cancelled: FlightRow): Promise<FlightRow[]> {
    const timeZone = this.config.RESORT_TIMEZONE;
    const departureDate = localDateOf(new Date(cancelled.departureAt), timeZone);
    return this.flights.findAlternatives(
      manager,
      cancelled.routeId,
      startOfLocalDate(addDays(departureDate, -ALTERNATIVE_WINDOW_DAYS), timeZone),
      startOfLocalDate(addDays(departureDate, ALTERNATIVE_WINDOW_DAYS + 1), timeZone),
      cancelled.id,
    );
  }

  private notificationFor(booking: BookingRow, segment: string, cancelled: FlightRow, alternatives: FlightRow[]): NewNotification {
    return {
      agencyId: booking.agencyId,
      type: 'booking.flight_cancelled',
      dedupeKey: `booking:${booking.id}:flight:${cancelled.id}:cancelled`,
      data: {
        bookingId: booking.id,
        reference: booking.reference,
        flightId: cancelled.id,
        flightNumber: cancelled.flightNumber,
        segment,
        origin: cancelled.origin,
        destination: cancelled.destination,
        departureAt: new Date(cancelled.departureAt).toISOString(),
        arrivalAt: new Date(cancelled.arrivalAt).toISOString(),
        reason: cancelled.cancellationReason,
        ...(cancelled.suspensionId ? { suspensionId: cancelled.suspensionId } : {}),
        checkIn: booking.checkIn,
        checkOut: booking.checkOut,
        guestCount: booking.guestCount,
        // Only flights with a seat for every guest of this booking.
        alternatives: alternatives
          .filter((flight) => flight.seats - flight.seatsReserved >= booking.guestCount)
          .map((flight) => ({
            flightId: flight.id,
            flightNumber: flight.flightNumber,
            departureAt: new Date(flight.departureAt).toISOString(),
            arrivalAt: new Date(flight.arrivalAt).toISOString(),
            seatsAvailable: flight.seats - flight.seatsReserved,
          })),
      },
    };
  }
}
