import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService, changesBetween, systemOrigin } from '#libs/audit';
import { BookingRow, BookingSegments } from '#libs/bookings';
import { AppConfig } from '#libs/config';
import { FlightRow, FlightSegment, FlightsService, segmentContextOf, segmentRefusal, startOfLocalDate } from '#libs/flights';
import { jobIds, JobQueue } from '#libs/jobs';
import { NewNotification, NotificationsService } from '#libs/notifications';
import { Metrics } from '#libs/observability';
import { addDays, Clock, localDateOf } from '#libs/shared';

/** Bookings taken off a flight per transaction: bounds how long one transaction holds its locks. */
export const DISRUPTION_CHUNK_SIZE = 250;
/** Alternatives offered to an agency: same route, departing this many resort-local days either side. */
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
 * alternatives — all in one transaction per chunk, bookings locked first, the flight last.
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
    private readonly flights: FlightsService,
    private readonly bookings: BookingSegments,
    private readonly notifications: NotificationsService,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
    private readonly audit: AuditService,
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
    if (bookings.length === 0) {
      await this.flights.lockFlights(manager, [cancelled.id]);
      await this.flights.markDisruptionCompleted(manager, cancelled.id);
      return undefined;
    }
    const cleared = await this.bookings.clearFlight(
      manager,
      bookings.map((booking) => booking.id),
      cancelled.id,
    );
    const segment: FlightSegment = cancelled.destination === this.config.RESORT_AIRPORT ? 'outbound' : 'return';
    const alternatives = await this.alternativesTo(manager, cancelled, segment);
    const segmentOf = new Map<string, FlightSegment>(
      bookings.map((booking) => [booking.id, booking.outboundFlightId === cancelled.id ? 'outbound' : 'return']),
    );
    // The cause: the route's suspension that cancelled the flight, else the flight's own cancellation.
    const origin = systemOrigin(
      cancelled.suspensionId ? { type: 'route_suspension', id: cancelled.suspensionId } : { type: 'flight_cancellation', id: cancelled.id },
    );
    const before = new Map(bookings.map((booking) => [booking.id, booking]));
    await this.audit.record(
      manager,
      cleared.map((booking) => {
        const was = before.get(booking.id) as BookingRow;
        return {
          action: 'booking.flight_removed' as const,
          entityType: 'booking' as const,
          entityId: booking.id,
          origin,
          changes: changesBetween(was, booking, ['outboundFlightId', 'returnFlightId']),
        };
      }),
    );
    // The notifications (which lock the agencies' inboxes) before the flight: a cancellation
    // takes inboxes, then nights, then flights, and the two must not wait for each other crosswise.
    await this.notifications.insertMany(
      manager,
      cleared.map((booking) => this.notificationFor(booking, segmentOf.get(booking.id) ?? 'outbound', cancelled, alternatives)),
    );
    await this.flights.lockFlights(manager, [cancelled.id]);
    const seats = cleared.reduce((sum, booking) => sum + booking.guestCount, 0);
    await this.flights.addToSeats(manager, [{ flightId: cancelled.id, seats: -seats }]);
    await this.flights.addDisruptionProgress(manager, cancelled.id, cleared.length);
    return cleared.length;
  }

  /**
   * Flights that fit the stays the cancelled flight carried. Every booking on it has the same
   * resort-local date for that segment (its check-in for an outbound flight, its check-out for a
   * return one: the flight fitted the stay), so one query serves the whole chunk; each booking
   * then keeps those with a seat for all its guests (see notificationFor).
   */
  private async alternativesTo(manager: EntityManager, cancelled: FlightRow, segment: FlightSegment): Promise<FlightRow[]> {
    const timeZone = this.config.RESORT_TIMEZONE;
    const segmentDate = localDateOf(new Date(segment === 'outbound' ? cancelled.arrivalAt : cancelled.departureAt), timeZone);
    return this.flights.findAlternatives(manager, {
      segment,
      resortAirport: this.config.RESORT_AIRPORT,
      from: startOfLocalDate(segmentDate, timeZone),
      until: startOfLocalDate(addDays(segmentDate, 1), timeZone),
      preferredRouteId: cancelled.routeId,
      excludeId: cancelled.id,
    });
  }

  private notificationFor(booking: BookingRow, segment: FlightSegment, cancelled: FlightRow, alternatives: FlightRow[]): NewNotification {
    // Only flights the kept stay can use: the rules PUT …/flights applies (airport, date, not
    // cancelled, not departed), and a seat for every guest of this booking.
    const context = segmentContextOf(booking, this.config, this.clock.now());
    const usable = alternatives.filter(
      (flight) =>
        segmentRefusal(segment, flight.id, flight, context) === undefined && flight.seats - flight.seatsReserved >= booking.guestCount,
    );
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
        alternatives: usable.map((flight) => ({
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
