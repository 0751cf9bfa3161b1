import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditOrigin, AuditService, NewAuditEvent, withCause } from '#libs/audit';
import { AppConfig } from '#libs/config';
import { jobIds, JobQueue } from '#libs/jobs';
import { Metrics } from '#libs/observability';
import {
  addDays,
  Clock,
  decodeCursor,
  decodeTimestampCursor,
  encodeCursor,
  InvalidState,
  NotFound,
  Page,
  ValidationFailed,
} from '#libs/shared';
import { AirportDirectory } from './airport-directory';
import type { FlightRow, RouteRow, RouteSuspensionRow } from './flight-row';
import { SeatsBelowReserved } from './flights.errors';
import { FlightListFilter, FlightsRepository } from './flights.repository';

/** The longest window of departure dates one flight list may span. */
export const MAX_FLIGHT_LIST_DAYS = 400;

/**
 * The route list's cursor, (origin, destination) of the last route returned: IATA codes, as
 * every route holds them. Anything else is a forged cursor and a 400; passed on, a NUL in it
 * would be a database error (500) and any other text a position no route list hands out.
 */
function decodeRouteCursor(cursor: string): { origin: string; destination: string } {
  const position = decodeCursor<{ origin: string; destination: string }>('routes', cursor, ['origin', 'destination']);
  const isCode = (value: unknown): value is string => typeof value === 'string' && /^[A-Z]{3}$/.test(value);
  if (!isCode(position.origin) || !isCode(position.destination))
    throw ValidationFailed.field('cursor', 'is not a cursor returned by this list');
  return { origin: position.origin, destination: position.destination };
}

export interface FlightListQuery {
  from?: string;
  to?: string;
  origin?: string;
  destination?: string;
  routeId?: string;
  status?: string;
}

/**
 * Routes, flights and their cancellation. Cancelling a flight (alone, or by suspending its
 * route) happens here, in one short transaction on the flight rows; taking the bookings off
 * the cancelled flights is the `disrupt-flight` job's work (libs/disruptions), which this
 * service enqueues afterwards — a lost enqueue is found again by the periodic reconciler.
 */
@Injectable()
export class FlightsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: FlightsRepository,
    private readonly airports: AirportDirectory,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly audit: AuditService,
  ) {}

  // --- routes --------------------------------------------------------------------------------

  async createRoute(input: { origin: string; destination: string }, origin: AuditOrigin): Promise<RouteRow> {
    const resort = this.config.RESORT_AIRPORT;
    if (input.origin === input.destination) throw ValidationFailed.field('destination', 'must differ from origin');
    if (input.origin !== resort && input.destination !== resort) {
      throw ValidationFailed.field('destination', `one end of a route must be the resort airport ${resort}`);
    }
    const [from, to] = await Promise.all([this.airports.find(input.origin), this.airports.find(input.destination)]);
    const problems = [
      ...(from ? [] : [{ field: 'origin', message: `${input.origin} is not a known airport` }]),
      ...(to ? [] : [{ field: 'destination', message: `${input.destination} is not a known airport` }]),
    ];
    if (!from || !to) throw new ValidationFailed(problems);
    const route = await this.dataSource.transaction(async (manager) => {
      const inserted = await this.repository.insertRoute(manager, {
        origin: from.iata,
        destination: to.iata,
        originName: from.name,
        destinationName: to.name,
      });
      if (inserted) {
        await this.audit.record(manager, [
          {
            action: 'route.created',
            entityType: 'route',
            entityId: inserted.id,
            origin,
            changes: { origin: { from: null, to: inserted.origin }, destination: { from: null, to: inserted.destination } },
          },
        ]);
      }
      return inserted;
    });
    if (!route) {
      const existing = await this.repository.findRouteByAirports(from.iata, to.iata);
      throw new RouteExists(from.iata, to.iata, existing?.id);
    }
    return route;
  }

  async getRoute(id: string): Promise<RouteRow> {
    const route = await this.repository.findRoute(id);
    if (!route) throw new NotFound('Route', id);
    return route;
  }

  async listRoutes(limit: number, cursor?: string): Promise<Page<RouteRow>> {
    const after = cursor ? decodeRouteCursor(cursor) : undefined;
    const rows = await this.repository.listRoutes(limit + 1, after);
    const data = rows.slice(0, limit);
    const last = data[data.length - 1];
    return {
      data,
      nextCursor: rows.length > limit && last ? encodeCursor('routes', { origin: last.origin, destination: last.destination }) : null,
    };
  }

  async listSuspensions(routeId: string): Promise<(RouteSuspensionRow & { cancelledFlightIds: string[] })[]> {
    await this.getRoute(routeId);
    return this.repository.listSuspensions(routeId);
  }

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
      const route = await this.repository.lockRoute(manager, routeId, 'update');
      if (!route) throw new NotFound('Route', routeId);
      const suspension = await this.repository.insertSuspension(manager, { routeId, from, until, reason: input.reason, createdByKeyId });
      const now = this.clock.now();
      const due = await this.repository.lockScheduledFlightsInWindow(manager, routeId, from > now ? from : now, until);
      const cancelled = await this.repository.markCancelled(
        manager,
        due.map((flight) => flight.id),
        { reason: input.reason, suspensionId: suspension.id },
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

  // --- flights -------------------------------------------------------------------------------

  async createFlight(
    input: { routeId: string; flightNumber: string; departureAt: string; arrivalAt: string; seats: number },
    origin: AuditOrigin,
  ): Promise<FlightRow> {
    const departureAt = new Date(input.departureAt);
    const arrivalAt = new Date(input.arrivalAt);
    if (arrivalAt <= departureAt) throw ValidationFailed.field('arrivalAt', 'must be after departureAt');
    return this.dataSource.transaction(async (manager) => {
      // FOR SHARE: a concurrent suspension of the route waits for this flight, then cancels it too.
      const route = await this.repository.lockRoute(manager, input.routeId, 'share');
      if (!route) throw new NotFound('Route', input.routeId);
      const suspension = await this.repository.findSuspensionCovering(manager, route.id, departureAt);
      if (suspension) {
        throw new InvalidState(`Route ${route.origin}–${route.destination} is suspended at that time (${suspension.reason})`, {
          suspensionId: suspension.id,
        });
      }
      const flight = await this.repository.insertFlight(manager, { ...input, departureAt, arrivalAt });
      if (!flight) throw new InvalidState(`Flight ${input.flightNumber} already departs at ${departureAt.toISOString()}`);
      await this.audit.record(manager, [
        {
          action: 'flight.created',
          entityType: 'flight',
          entityId: flight.id,
          origin,
          changes: {
            routeId: { from: null, to: flight.routeId },
            flightNumber: { from: null, to: flight.flightNumber },
            departureAt: { from: null, to: new Date(flight.departureAt).toISOString() },
            arrivalAt: { from: null, to: new Date(flight.arrivalAt).toISOString() },
            seats: { from: null, to: flight.seats },
          },
        },
      ]);
      return flight;
    });
  }

  async getFlight(id: string): Promise<FlightRow> {
    const flight = await this.repository.findFlight(id);
    if (!flight) throw new NotFound('Flight', id);
    return flight;
  }

  async listFlights(query: FlightListQuery, limit: number, cursor?: string): Promise<Page<FlightRow>> {
    if (query.from && query.to) {
      if (query.to <= query.from) throw ValidationFailed.field('to', 'must be after from');
      if (addDays(query.from, MAX_FLIGHT_LIST_DAYS) < query.to)
        throw ValidationFailed.field('to', `the range may span at most ${MAX_FLIGHT_LIST_DAYS} days`);
    }
    const filter: FlightListFilter = {
      departureFrom: query.from ? this.startOfResortDate(query.from) : undefined,
      departureBefore: query.to ? this.startOfResortDate(query.to) : undefined,
      origin: query.origin,
      destination: query.destination,
      routeId: query.routeId,
      status: query.status,
    };
    const after = cursor ? decodeTimestampCursor('flights', cursor, 'departureAt') : undefined;
    const rows = await this.repository.listFlights(filter, limit + 1, after);
    const data = rows.slice(0, limit);
    const last = data[data.length - 1];
    return {
      data,
      nextCursor: rows.length > limit && last ? encodeCursor('flights', { departureAt: last.cursorDepartureAt, id: last.id }) : null,
    };
  }

  async updateFlight(id: string, changes: { seats?: number }, origin: AuditOrigin): Promise<FlightRow> {
    return this.dataSource.transaction(async (manager) => {
      const flight = (await this.repository.lockFlights(manager, [id])).get(id);
      if (!flight) throw new NotFound('Flight', id);
      if (changes.seats === undefined || changes.seats === flight.seats) return flight;
      if (flight.status === 'cancelled') throw new InvalidState(`Flight ${flight.flightNumber} is cancelled`);
      if (changes.seats < flight.seatsReserved) throw new SeatsBelowReserved(id, changes.seats, flight.seatsReserved);
      await this.repository.setSeats(manager, id, changes.seats);
      await this.audit.record(manager, [
        {
          action: 'flight.updated',
          entityType: 'flight',
          entityId: id,
          origin,
          changes: { seats: { from: flight.seats, to: changes.seats } },
        },
      ]);
      return { ...flight, seats: changes.seats };
    });
  }

  /** Cancels one flight; its bookings lose the segment in the background. A cancelled flight stays cancelled (409). */
  async cancelFlight(id: string, reason: string, origin: AuditOrigin): Promise<FlightRow> {
    const cancelled = await this.dataSource.transaction(async (manager) => {
      const flight = (await this.repository.lockFlights(manager, [id])).get(id);
      if (!flight) throw new NotFound('Flight', id);
      if (flight.status === 'cancelled') throw new InvalidState(`Flight ${flight.flightNumber} is already cancelled`);
      const [row] = await this.repository.markCancelled(manager, [id], { reason, suspensionId: null });
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

  /** The instant a resort-local date begins (its midnight in RESORT_TIMEZONE). */
  private startOfResortDate(date: string): Date {
    return startOfLocalDate(date, this.config.RESORT_TIMEZONE);
  }
}

/**
 * The instant at which a calendar date begins in a time zone. Found by correcting a UTC guess
 * with the zone's offset at that moment (twice, so that a transition near midnight settles).
 */
export function startOfLocalDate(date: string, timeZone: string): Date {
  const utcMidnight = Date.parse(`${date}T00:00:00Z`);
  let guess = utcMidnight;
  for (let pass = 0; pass < 2; pass++) guess = utcMidnight - offsetMilliseconds(new Date(guess), timeZone);
  return new Date(guess);
}

function offsetMilliseconds(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(instant);
  const part = (type: string): number => Number(parts.find((candidate) => candidate.type === type)?.value);
  const asUtc = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
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

class RouteExists extends InvalidState {
  constructor(origin: string, destination: string, routeId: string | undefined) {
    super(`A route ${origin}–${destination} already exists`, routeId ? { routeId } : {});
  }
}
