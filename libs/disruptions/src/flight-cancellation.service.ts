import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditOrigin, AuditService, NewAuditEvent, withCause } from '#libs/audit';
import { BookingSegments } from '#libs/bookings';
import { FlightRow, FlightsService, RouteSuspensionRow } from '#libs/flights';
import { jobIds, JobQueue } from '#libs/jobs';
import { Metrics } from '#libs/observability';
import { Clock, InvalidState, NotFound, ValidationFailed } from '#libs/shared';

/**
 * Cancelling flights, one or by suspending their route: one short transaction on the flight
 * rows, which also counts the live bookings on each flight (libs/bookings) for its disruption's
 * progress. Taking those bookings off the cancelled flights is the `disrupt-flight` job's work
 * (`FlightDisruptionService`), enqueued afterwards; a lost enqueue is found again by the
 * periodic reconciler. It lives here, above flights and bookings, as neither may depend on the other.
 */
@Injectable()
export class FlightCancellationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly flights: FlightsService,
    private readonly bookings: BookingSegments,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly audit: AuditService,
  ) {}

  /**
   * Suspends a route for `[from, until)`: records the window (flights can no longer be added
   * in it) and cancels its scheduled flights departing in it, all in one transaction. Their
   * bookings lose the segment in the background. A window that began in the past leaves the
   * flights that have already departed alone.
   */
  async suspendRoute(
    routeId: string,
    input: { from: string; until?: string; reason: string },
    createdByKeyId: string | null,
    origin: AuditOrigin,
  ): Promise<{ suspension: RouteSuspensionRow; cancelled: FlightRow[] }> {
    const from = new Date(input.from);
    const until = input.until ? new Date(input.until) : null;
    if (until && until <= from) throw ValidationFailed.field('until', 'must be after from');
    const result = await this.dataSource.transaction(async (manager) => {
      const route = await this.flights.lockRoute(manager, routeId, 'update');
      if (!route) throw new NotFound('Route', routeId);
      const suspension = await this.flights.insertSuspension(manager, { routeId, from, until, reason: input.reason, createdByKeyId });
      const now = this.clock.now();
      const due = await this.flights.lockScheduledFlightsInWindow(manager, routeId, from > now ? from : now, until);
      const ids = due.map((flight) => flight.id);
      const affectedBookings = await this.bookings.countLiveOnFlights(manager, ids);
      const cancelled = await this.flights.markCancelled(
        manager,
        ids,
        { reason: input.reason, suspensionId: suspension.id },
        affectedBookings,
      );
      // The route's suspension, and each flight it cancelled (by this request, because of the suspension).
      const becauseOfSuspension = withCause(origin, { type: 'route_suspension', id: suspension.id });
      await this.audit.record(manager, [
        {
          action: 'route.suspended',
          entityType: 'route',
          entityId: routeId,
          origin,
          changes: {
            suspension: {
              from: null,
              to: {
                id: suspension.id,
                from: from.toISOString(),
                until: until ? until.toISOString() : null,
                reason: input.reason,
                cancelledFlights: cancelled.length,
              },
            },
          },
        },
        ...cancelled.map((flight) => flightCancelledEvent(flight.id, input.reason, becauseOfSuspension)),
      ]);
      return { suspension, cancelled };
    });
    this.metrics.flightsCancelled.inc({ cause: 'suspension' }, result.cancelled.length);
    for (const flight of result.cancelled) await this.startDisruption(flight.id);
    return result;
  }

  /** Cancels one flight; its bookings lose the segment in the background. A cancelled flight stays cancelled (409). */
  async cancelFlight(id: string, reason: string, origin: AuditOrigin): Promise<FlightRow> {
    const cancelled = await this.dataSource.transaction(async (manager) => {
      const flight = (await this.flights.lockFlights(manager, [id])).get(id);
      if (!flight) throw new NotFound('Flight', id);
      if (flight.status === 'cancelled') throw new InvalidState(`Flight ${flight.flightNumber} is already cancelled`);
      const affectedBookings = await this.bookings.countLiveOnFlights(manager, [id]);
      const [row] = await this.flights.markCancelled(manager, [id], { reason, suspensionId: null }, affectedBookings);
      await this.audit.record(manager, [flightCancelledEvent(id, reason, origin)]);
      return row;
    });
    this.metrics.flightsCancelled.inc({ cause: 'flight' });
    await this.startDisruption(id);
    return cancelled;
  }

  /** Enqueues the disruption job; if Redis is down, the reconciler finds the pending disruption later. */
  private async startDisruption(flightId: string): Promise<void> {
    await this.jobs.addBestEffort('disrupt-flight', { flightId }, { jobId: jobIds.disruptFlight(flightId) });
  }
}

function flightCancelledEvent(flightId: string, reason: string, origin: AuditOrigin): NewAuditEvent {
  return {
    action: 'flight.cancelled',
    entityType: 'flight',
    entityId: flightId,
    origin,
    changes: { status: { from: 'scheduled', to: 'cancelled' }, cancellationReason: { from: null, to: reason } },
  };
}
