import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { dateFromToday, HttpResult, KalmaClient } from './kalma-client';

/** `PATCH /v1/bookings/{id}` as a client sends it. */
export function amend(client: KalmaClient, id: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return client.request('PATCH', `/v1/bookings/${id}`, body, headers);
}

/** Guests named by index, `count` of them, of these nationalities in turn. */
export function party(count: number, nationalities: string[] = ['RU'], prefix = 'Guest'): { fullName: string; nationality: string }[] {
  return Array.from({ length: count }, (_, index) => ({
    fullName: `${prefix} ${index + 1}`,
    nationality: nationalities[index % nationalities.length],
  }));
}

export async function bookOrFail(client: KalmaClient, body: Record<string, unknown>): Promise<any> {
  const response = await client.createBooking(body);
  if (response.status !== 201) throw new Error(`booking failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Sets these nights' capacity (which also makes their rows exist). */
export async function setCapacity(operations: KalmaClient, fromDays: number, toDays: number, capacity: number): Promise<void> {
  for (let day = fromDays; day < toDays; day++) {
    const response = await operations.put(`/v1/capacity/${dateFromToday(day)}`, { capacity });
    if (response.status !== 200) throw new Error(`capacity: ${response.status} ${JSON.stringify(response.body)}`);
  }
}

/** Routes SVO→WOS and WOS→SVO (created once per database) and a flight on one of them on a resort date. */
export class FlightFactory {
  private routes?: { inbound: string; outbound: string };

  constructor(private readonly operations: KalmaClient) {}

  async arriving(date: string, seats: number): Promise<string> {
    const { inbound } = await this.ensureRoutes();
    return this.create({ routeId: inbound, departureAt: `${date}T06:00:00+09:00`, arrivalAt: `${date}T10:00:00+09:00`, seats });
  }

  async leaving(date: string, seats: number): Promise<string> {
    const { outbound } = await this.ensureRoutes();
    return this.create({ routeId: outbound, departureAt: `${date}T14:00:00+09:00`, arrivalAt: `${date}T18:00:00+09:00`, seats });
  }

  private async create(flight: { routeId: string; departureAt: string; arrivalAt: string; seats: number }): Promise<string> {
    const response = await this.operations.post('/v1/flights', { ...flight, flightNumber: `KL${Math.floor(Math.random() * 9000) + 1000}` });
    if (response.status !== 201) throw new Error(`flight: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.id;
  }

  private async ensureRoutes(): Promise<{ inbound: string; outbound: string }> {
    if (this.routes) return this.routes;
    const found = await this.operations.get('/v1/routes?limit=100');
    const existing = (found.body?.data ?? []) as { id: string; origin: string; destination: string }[];
    const route = async (origin: string, destination: string): Promise<string> =>
      existing.find((entry) => entry.origin === origin && entry.destination === destination)?.id ??
      (await this.operations.post('/v1/routes', { origin, destination })).body.id;
    this.routes = { inbound: await route('SVO', 'WOS'), outbound: await route('WOS', 'SVO') };
    return this.routes;
  }
}

/**
 * Everything an amendment could write, as one comparable value: bookings (all columns), flight
 * seats, notifications, stored Idempotency-Key answers, hold counters, and the nights that hold
 * anything or have a capacity of their own (a night row with the default capacity and nothing
 * reserved is the same night as no row: both admission and amendment may create such rows).
 */
export async function writableState(pool: Pool): Promise<Record<string, unknown[]>> {
  const read = async (sql: string): Promise<unknown[]> => (await pool.query(sql)).rows;
  return {
    bookings: await read(`SELECT b.* FROM bookings b ORDER BY b.id`),
    nights: await read(
      `SELECT date::text, capacity, reserved, held FROM nights WHERE reserved <> 0 OR held <> 0 OR capacity <> 20000 ORDER BY date`,
    ),
    flights: await read(`SELECT id, seats, seats_reserved FROM flights ORDER BY id`),
    notifications: await read(`SELECT id, type, data FROM notifications ORDER BY sequence`),
    idempotencyKeys: await read(`SELECT agency_id, key, response_status, response_body FROM idempotency_keys ORDER BY agency_id, key`),
    holdCounters: await read(`SELECT agency_id, held_guests FROM agency_held_guests ORDER BY agency_id`),
  };
}

/** Agencies whose hold counter differs from the guests of their held bookings (should be none). */
export async function holdCountersOutOfBalance(pool: Pool): Promise<unknown[]> {
  const { rows } = await pool.query(
    `WITH live AS (SELECT agency_id, sum(guest_count)::int AS held FROM bookings WHERE status = 'held' GROUP BY agency_id)
     SELECT coalesce(a.agency_id, live.agency_id) AS "agencyId", coalesce(a.held_guests, 0) AS counter, coalesce(live.held, 0) AS held
       FROM agency_held_guests a FULL JOIN live ON live.agency_id = a.agency_id
      WHERE coalesce(a.held_guests, 0) <> coalesce(live.held, 0)`,
  );
  return rows;
}

/** Deadlocks PostgreSQL has detected in this database so far (its statistics are flushed within about a second). */
export async function deadlocksSoFar(pool: Pool): Promise<number> {
  const { rows } = await pool.query(`SELECT deadlocks::int AS deadlocks FROM pg_stat_database WHERE datname = current_database()`);
  return rows[0].deadlocks;
}

export const uniqueKey = (): string => randomUUID();
