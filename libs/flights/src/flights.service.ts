import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditOrigin, AuditService } from '#libs/audit';
import { AppConfig } from '#libs/config';
import { addDays, decodeCursor, decodeTimestampCursor, pageOf, InvalidState, NotFound, Page, ValidationFailed } from '#libs/shared';
import { AirportDirectory } from './airport-directory';
import type { FlightRow, RouteRow, RouteSuspensionRow } from './flight-row';
import { SeatsBelowReserved } from './flights.errors';
import { FlightListFilter, FlightsRepository, SeatDelta } from './flights.repository';

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
 * Routes, flights and their seats. Cancelling a flight (alone, or by suspending its route)
 * counts the bookings on it, so it is orchestrated by libs/disruptions
 * (`FlightCancellationService`) with the thin, transaction-bound methods at the end of this
 * class, as are the seats bookings reserve and release.
 */
@Injectable()
export class FlightsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: FlightsRepository,
    private readonly airports: AirportDirectory,
    private readonly config: AppConfig,
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
    return pageOf(rows, limit, 'routes', (row) => ({ origin: row.origin, destination: row.destination }));
  }

  async listSuspensions(
    routeId: string,
    limit: number,
    cursor?: string,
  ): Promise<Page<RouteSuspensionRow & { cancelledFlightIds: string[] }>> {
    const after = cursor ? decodeTimestampCursor('route-suspensions', cursor, 'from') : undefined;
    await this.getRoute(routeId);
    const rows = await this.repository.listSuspensions(routeId, limit + 1, after);
    return pageOf(rows, limit, 'route-suspensions', (row) => ({ from: row.cursorFrom, id: row.id }));
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
    return pageOf(rows, limit, 'flights', (row) => ({ departureAt: row.cursorDepartureAt, id: row.id }));
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

  // --- inside the caller's transaction ---------------------------------------------------------
  // Thin: each is one statement of FlightsRepository on the caller's EntityManager, so that
  // bookings and disruptions keep their one transaction and their lock order.

  /** Locks a route against suspension (`share`) or for one (`update`). */
  async lockRoute(manager: EntityManager, id: string, mode: 'share' | 'update'): Promise<RouteRow | undefined> {
    return this.repository.lockRoute(manager, id, mode);
  }

  async insertSuspension(
    manager: EntityManager,
    suspension: { routeId: string; from: Date; until: Date | null; reason: string; createdByKeyId: string | null },
  ): Promise<RouteSuspensionRow> {
    return this.repository.insertSuspension(manager, suspension);
  }

  /** Scheduled flights of a route departing in `[from, until)`, locked in id order. */
  async lockScheduledFlightsInWindow(manager: EntityManager, routeId: string, from: Date, until: Date | null): Promise<FlightRow[]> {
    return this.repository.lockScheduledFlightsInWindow(manager, routeId, from, until);
  }

  /** Cancels locked, scheduled flights and opens their disruption, with the live bookings counted on each. */
  async markCancelled(
    manager: EntityManager,
    ids: string[],
    cancellation: { reason: string; suspensionId: string | null },
    affectedBookings: Map<string, number>,
  ): Promise<FlightRow[]> {
    return this.repository.markCancelled(manager, ids, cancellation, affectedBookings);
  }

  /** Which of these flight ids exist (no lock: flights are never deleted). */
  async existingIds(manager: EntityManager, ids: string[]): Promise<Set<string>> {
    return this.repository.existingIds(manager, ids);
  }

  /** Locks flights in id order (after any bookings and nights: the one lock order). */
  async lockFlights(manager: EntityManager, ids: string[]): Promise<Map<string, FlightRow>> {
    return this.repository.lockFlights(manager, ids);
  }

  /** Adds to already-locked flights' reserved seats; the CHECK constraint refuses any result beyond the seats. */
  async addToSeats(manager: EntityManager, deltas: SeatDelta[]): Promise<void> {
    return this.repository.addToSeats(manager, deltas);
  }

  /** Locks (in id order) and changes flights' reserved seats in one go. */
  async lockAndAddToSeats(manager: EntityManager, deltas: SeatDelta[]): Promise<void> {
    return this.repository.lockAndAddToSeats(manager, deltas);
  }

  // --- disruption progress (libs/disruptions) --------------------------------------------------

  async findFlight(id: string): Promise<FlightRow | undefined> {
    return this.repository.findFlight(id);
  }

  async markDisruptionRunning(flightId: string): Promise<void> {
    return this.repository.markDisruptionRunning(flightId);
  }

  async addDisruptionProgress(manager: EntityManager, flightId: string, releasedBookings: number): Promise<void> {
    return this.repository.addDisruptionProgress(manager, flightId, releasedBookings);
  }

  async markDisruptionCompleted(manager: EntityManager, flightId: string): Promise<void> {
    return this.repository.markDisruptionCompleted(manager, flightId);
  }

  async findIncompleteDisruptions(idleFor: number, limit: number): Promise<string[]> {
    return this.repository.findIncompleteDisruptions(idleFor, limit);
  }

  async findAlternatives(manager: EntityManager, options: Parameters<FlightsRepository['findAlternatives']>[1]): Promise<FlightRow[]> {
    return this.repository.findAlternatives(manager, options);
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

class RouteExists extends InvalidState {
  constructor(origin: string, destination: string, routeId: string | undefined) {
    super(`A route ${origin}–${destination} already exists`, routeId ? { routeId } : {});
  }
}
