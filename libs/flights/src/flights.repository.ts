import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { cursorTimestampSql } from '#libs/shared';
import {
  FLIGHT_SELECT,
  FlightRow,
  ROUTE_AIRPORTS_SELECT,
  ROUTE_SELECT,
  ROUTE_SUSPENSION_SELECT,
  RouteRow,
  RouteSuspensionRow,
} from './flight-row';

const ROUTE_COLUMNS = ROUTE_SELECT.sql;
const FLIGHT_COLUMNS = `${FLIGHT_SELECT.sql}, ${ROUTE_AIRPORTS_SELECT.sql}`;
const SUSPENSION_COLUMNS = ROUTE_SUSPENSION_SELECT.sql;

/** A change to one flight's reserved seats; negative values release. */
export interface SeatDelta {
  flightId: string;
  seats: number;
}

export interface NewFlight {
  routeId: string;
  flightNumber: string;
  departureAt: Date;
  arrivalAt: Date;
  seats: number;
}

export interface FlightListFilter {
  /** Departure on or after this instant. */
  departureFrom?: Date;
  /** Departure before this instant. */
  departureBefore?: Date;
  origin?: string;
  destination?: string;
  routeId?: string;
  status?: string;
}

@Injectable()
export class FlightsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  // --- routes --------------------------------------------------------------------------------

  /** Inserts a route; undefined if one already joins these airports in this direction. */
  async insertRoute(
    manager: EntityManager,
    route: { origin: string; destination: string; originName: string; destinationName: string },
  ): Promise<RouteRow | undefined> {
    const rows: RouteRow[] = await manager.query(
      `INSERT INTO routes AS r (origin, destination, origin_name, destination_name) VALUES ($1, $2, $3, $4)
       ON CONFLICT (origin, destination) DO NOTHING
       RETURNING ${ROUTE_COLUMNS}`,
      [route.origin, route.destination, route.originName, route.destinationName],
    );
    return rows[0];
  }

  async findRoute(id: string): Promise<RouteRow | undefined> {
    const rows: RouteRow[] = await this.dataSource.query(`SELECT ${ROUTE_COLUMNS} FROM routes r WHERE r.id = $1`, [id]);
    return rows[0];
  }

  async findRouteByAirports(origin: string, destination: string): Promise<RouteRow | undefined> {
    const rows: RouteRow[] = await this.dataSource.query(
      `SELECT ${ROUTE_COLUMNS} FROM routes r WHERE r.origin = $1 AND r.destination = $2`,
      [origin, destination],
    );
    return rows[0];
  }

  /** Keyset-paginated on (origin, destination), which is unique. */
  async listRoutes(limit: number, after?: { origin: string; destination: string }): Promise<RouteRow[]> {
    return this.dataSource.query(
      `SELECT ${ROUTE_COLUMNS} FROM routes r
        WHERE ($1::text IS NULL OR (r.origin, r.destination) > ($1::text, $2::text))
        ORDER BY r.origin, r.destination LIMIT $3`,
      [after?.origin ?? null, after?.destination ?? null, limit],
    );
  }

  /**
   * Locks a route against suspension while a flight is added to it (`FOR SHARE`), or for a
   * suspension (`FOR UPDATE`), so a flight is never created inside a window being suspended.
   */
  async lockRoute(manager: EntityManager, id: string, mode: 'share' | 'update'): Promise<RouteRow | undefined> {
    const rows: RouteRow[] = await manager.query(
      `SELECT ${ROUTE_COLUMNS} FROM routes r WHERE r.id = $1 ${mode === 'share' ? 'FOR SHARE' : 'FOR UPDATE'}`,
      [id],
    );
    return rows[0];
  }

  // --- suspensions ---------------------------------------------------------------------------

  async insertSuspension(
    manager: EntityManager,
    suspension: { routeId: string; from: Date; until: Date | null; reason: string; createdByKeyId: string | null },
  ): Promise<RouteSuspensionRow> {
    const rows: RouteSuspensionRow[] = await manager.query(
      `INSERT INTO route_suspensions AS s (route_id, suspended_from, suspended_until, reason, created_by_key_id)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${SUSPENSION_COLUMNS}`,
      [suspension.routeId, suspension.from, suspension.until, suspension.reason, suspension.createdByKeyId],
    );
    return rows[0];
  }

  /** A suspension of the route whose window covers this departure, if any. */
  async findSuspensionCovering(manager: EntityManager, routeId: string, departureAt: Date): Promise<RouteSuspensionRow | undefined> {
    const rows: RouteSuspensionRow[] = await manager.query(
      `SELECT ${SUSPENSION_COLUMNS} FROM route_suspensions s
        WHERE s.route_id = $1 AND s.suspended_from <= $2 AND (s.suspended_until IS NULL OR s.suspended_until > $2)
        ORDER BY s.created_at LIMIT 1`,
      [routeId, departureAt],
    );
    return rows[0];
  }

  /** A route's suspensions by start, keyset-paginated on (start, id), each with the flights it cancelled. */
  async listSuspensions(
    routeId: string,
    limit: number,
    after?: { from: string; id: string },
  ): Promise<(RouteSuspensionRow & { cancelledFlightIds: string[]; cursorFrom: string })[]> {
    return this.dataSource.query(
      `SELECT ${SUSPENSION_COLUMNS}, ${cursorTimestampSql('s.suspended_from')} AS "cursorFrom",
              ARRAY(SELECT f.id::text FROM flights f WHERE f.suspension_id = s.id ORDER BY f.id) AS "cancelledFlightIds"
         FROM route_suspensions s
        WHERE s.route_id = $1 AND ($2::timestamptz IS NULL OR (s.suspended_from, s.id) > ($2::timestamptz, $3::uuid))
        ORDER BY s.suspended_from, s.id
        LIMIT $4`,
      [routeId, after?.from ?? null, after?.id ?? null, limit],
    );
  }

  // --- flights -------------------------------------------------------------------------------

  /** Inserts a flight; undefined if this flight number already departs at that instant. */
  async insertFlight(manager: EntityManager, flight: NewFlight): Promise<FlightRow | undefined> {
    const rows: FlightRow[] = await manager.query(
      `WITH f AS (
         INSERT INTO flights (route_id, flight_number, departure_at, arrival_at, seats) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (flight_number, departure_at) DO NOTHING
         RETURNING *)
       SELECT ${FLIGHT_COLUMNS} FROM f JOIN routes r ON r.id = f.route_id`,
      [flight.routeId, flight.flightNumber, flight.departureAt, flight.arrivalAt, flight.seats],
    );
    return rows[0];
  }

  async findFlight(id: string): Promise<FlightRow | undefined> {
    const rows: FlightRow[] = await this.dataSource.query(
      `SELECT ${FLIGHT_COLUMNS} FROM flights f JOIN routes r ON r.id = f.route_id WHERE f.id = $1`,
      [id],
    );
    return rows[0];
  }

  async findFlights(ids: string[]): Promise<FlightRow[]> {
    if (ids.length === 0) return [];
    return this.dataSource.query(
      `SELECT ${FLIGHT_COLUMNS} FROM flights f JOIN routes r ON r.id = f.route_id WHERE f.id = ANY($1::uuid[]) ORDER BY f.id`,
      [ids],
    );
  }

  /** By departure, keyset-paginated on (departure_at, id); `cursorDepartureAt` is departure_at to the microsecond, for the next cursor. */
  async listFlights(
    filter: FlightListFilter,
    limit: number,
    after?: { departureAt: string; id: string },
  ): Promise<(FlightRow & { cursorDepartureAt: string })[]> {
    return this.dataSource.query(
      `SELECT ${FLIGHT_COLUMNS}, ${cursorTimestampSql('f.departure_at')} AS "cursorDepartureAt" FROM flights f JOIN routes r ON r.id = f.route_id
        WHERE ($1::timestamptz IS NULL OR f.departure_at >= $1)
          AND ($2::timestamptz IS NULL OR f.departure_at < $2)
          AND ($3::text IS NULL OR r.origin = $3)
          AND ($4::text IS NULL OR r.destination = $4)
          AND ($5::uuid IS NULL OR f.route_id = $5)
          AND ($6::text IS NULL OR f.status = $6)
          AND ($7::timestamptz IS NULL OR (f.departure_at, f.id) > ($7::timestamptz, $8::uuid))
        ORDER BY f.departure_at, f.id
        LIMIT $9`,
      [
        filter.departureFrom ?? null,
        filter.departureBefore ?? null,
        filter.origin ?? null,
        filter.destination ?? null,
        filter.routeId ?? null,
        filter.status ?? null,
        after?.departureAt ?? null,
        after?.id ?? null,
        limit,
      ],
    );
  }

  /** Which of these flight ids exist (no lock: flights are never deleted). */
  async existingIds(manager: EntityManager, ids: string[]): Promise<Set<string>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Set();
    const rows: { id: string }[] = await manager.query(`SELECT id FROM flights WHERE id = ANY($1::uuid[])`, [unique]);
    return new Set(rows.map((row) => row.id));
  }

  /**
   * Locks flights in id order — after any bookings and nights the transaction locks, the one
   * lock order of Kalma. Missing ids are simply absent from the map.
   */
  async lockFlights(manager: EntityManager, ids: string[]): Promise<Map<string, FlightRow>> {
    const sorted = [...new Set(ids)].sort();
    if (sorted.length === 0) return new Map();
    const rows: FlightRow[] = await manager.query(
      `SELECT ${FLIGHT_COLUMNS} FROM flights f JOIN routes r ON r.id = f.route_id
        WHERE f.id = ANY($1::uuid[]) ORDER BY f.id FOR NO KEY UPDATE OF f`,
      [sorted],
    );
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Adds to already-locked flights' reserved seats, set-based. The CHECK constraint refuses any result beyond the seats. */
  async addToSeats(manager: EntityManager, deltas: SeatDelta[]): Promise<void> {
    const summed = sumSeatDeltas(deltas);
    if (summed.length === 0) return;
    await manager.query(
      `UPDATE flights SET seats_reserved = flights.seats_reserved + d.seats, updated_at = now()
         FROM unnest($1::uuid[], $2::int[]) AS d(id, seats)
        WHERE flights.id = d.id`,
      [summed.map((delta) => delta.flightId), summed.map((delta) => delta.seats)],
    );
  }

  /** Locks (in id order) and changes flights in one go; used when releasing seats. */
  async lockAndAddToSeats(manager: EntityManager, deltas: SeatDelta[]): Promise<void> {
    const summed = sumSeatDeltas(deltas);
    if (summed.length === 0) return;
    await this.lockFlights(
      manager,
      summed.map((delta) => delta.flightId),
    );
    await this.addToSeats(manager, summed);
  }

  async setSeats(manager: EntityManager, id: string, seats: number): Promise<void> {
    await manager.query(`UPDATE flights SET seats = $2, updated_at = now() WHERE id = $1`, [id, seats]);
  }

  /** Scheduled flights of a route departing in `[from, until)`, locked in id order. */
  async lockScheduledFlightsInWindow(manager: EntityManager, routeId: string, from: Date, until: Date | null): Promise<FlightRow[]> {
    return manager.query(
      `SELECT ${FLIGHT_COLUMNS} FROM flights f JOIN routes r ON r.id = f.route_id
        WHERE f.route_id = $1 AND f.status = 'scheduled' AND f.departure_at >= $2 AND ($3::timestamptz IS NULL OR f.departure_at < $3)
        ORDER BY f.id FOR UPDATE OF f`,
      [routeId, from, until],
    );
  }

  /**
   * Cancels locked, scheduled flights and opens their disruption (`pending`), with the live
   * bookings that will lose the segment as the caller counted them (libs/bookings, in this
   * transaction, after the flights were locked: no booking can join or leave a flight while it
   * is locked here, so the count is the one this statement would have made itself).
   */
  async markCancelled(
    manager: EntityManager,
    ids: string[],
    cancellation: { reason: string; suspensionId: string | null },
    affectedBookings: Map<string, number>,
  ): Promise<FlightRow[]> {
    if (ids.length === 0) return [];
    return manager.query(
      `WITH f AS (
         UPDATE flights f SET status = 'cancelled', cancellation_reason = $2, cancelled_at = now(), suspension_id = $3,
                disruption_state = 'pending',
                disruption_affected_bookings = c.bookings,
                updated_at = now()
           FROM unnest($1::uuid[], $4::int[]) AS c(id, bookings)
          WHERE f.id = c.id AND f.status = 'scheduled'
         RETURNING f.*)
       SELECT ${FLIGHT_COLUMNS} FROM f JOIN routes r ON r.id = f.route_id ORDER BY f.id`,
      [ids, cancellation.reason, cancellation.suspensionId, ids.map((id) => affectedBookings.get(id) ?? 0)],
    );
  }

  // --- disruption progress -------------------------------------------------------------------

  async markDisruptionRunning(flightId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE flights SET disruption_state = 'running', updated_at = now() WHERE id = $1 AND disruption_state = 'pending'`,
      [flightId],
    );
  }

  /** Counts bookings taken off a locked flight, in the caller's transaction. */
  async addDisruptionProgress(manager: EntityManager, flightId: string, releasedBookings: number): Promise<void> {
    await manager.query(
      `UPDATE flights SET disruption_released_bookings = disruption_released_bookings + $2, updated_at = now() WHERE id = $1`,
      [flightId, releasedBookings],
    );
  }

  async markDisruptionCompleted(manager: EntityManager, flightId: string): Promise<void> {
    await manager.query(
      `UPDATE flights SET disruption_state = 'completed', disruption_completed_at = now(), updated_at = now()
        WHERE id = $1 AND disruption_state IN ('pending', 'running')`,
      [flightId],
    );
  }

  /** Cancelled flights whose bookings have not all been taken off yet and that nobody touched for a while. */
  async findIncompleteDisruptions(idleFor: number, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM flights WHERE disruption_state IN ('pending', 'running') AND updated_at <= now() - make_interval(secs => $1)
        ORDER BY updated_at LIMIT $2`,
      [idleFor, limit],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Flights that could replace a cancelled segment: scheduled, not departed, with a free seat,
   * arriving at the resort airport in `[from, until)` (an outbound segment) or leaving it then (a
   * return segment). Flights of `preferredRouteId` come first, then by departure; at most 20.
   */
  async findAlternatives(
    manager: EntityManager,
    options: {
      segment: 'outbound' | 'return';
      resortAirport: string;
      from: Date;
      until: Date;
      preferredRouteId: string;
      excludeId: string;
    },
  ): Promise<FlightRow[]> {
    return manager.query(
      `SELECT ${FLIGHT_COLUMNS} FROM flights f JOIN routes r ON r.id = f.route_id
        WHERE f.status = 'scheduled' AND f.id <> $5 AND f.seats_reserved < f.seats AND f.departure_at > now()
          AND CASE WHEN $1 = 'outbound' THEN r.destination = $2 AND f.arrival_at >= $3 AND f.arrival_at < $4
                   ELSE r.origin = $2 AND f.departure_at >= $3 AND f.departure_at < $4 END
        ORDER BY (f.route_id = $6) DESC, f.departure_at, f.id LIMIT 20`,
      [options.segment, options.resortAirport, options.from, options.until, options.excludeId, options.preferredRouteId],
    );
  }
}

/** One delta per flight, zero ones dropped, sorted by id (the lock order). */
export function sumSeatDeltas(deltas: SeatDelta[]): SeatDelta[] {
  const byFlight = new Map<string, number>();
  for (const delta of deltas) byFlight.set(delta.flightId, (byFlight.get(delta.flightId) ?? 0) + delta.seats);
  return [...byFlight.entries()]
    .filter(([, seats]) => seats !== 0)
    .map(([flightId, seats]) => ({ flightId, seats }))
    .sort((a, b) => (a.flightId < b.flightId ? -1 : a.flightId > b.flightId ? 1 : 0));
}
