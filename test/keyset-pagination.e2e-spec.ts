import { encodeCursor } from '#libs/shared';
import { dateFromToday, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { pageThrough } from './support/pagination';
import { instantFromNow, seedBookings } from './support/restriction-helpers';

/**
 * Lists paginated on (timestamp, id) return every row exactly once, in order, even when rows
 * share a millisecond: PostgreSQL keeps microseconds, so the cursor must carry them too.
 * Timestamps are set in SQL to be deterministic: several rows on one identical instant (as one
 * transaction's now() gives a batch of bookings) and several a few microseconds apart.
 */
describe('keyset pagination on (timestamp, id)', () => {
  let stack: KalmaStack;
  let agent: KalmaClient;
  let agencyId: string;

  beforeAll(async () => {
    stack = await startKalmaStack();
    const agency = await stack.operations.createAgencyWithAgentKey();
    agencyId = agency.agencyId;
    agent = new KalmaClient(stack.apis[0].baseUrl, agency.agentKey);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const everyPage = (client: KalmaClient, path: string, limit: number): Promise<string[]> =>
    pageThrough(client, path, { limit, maxPages: 100 });

  async function column(sql: string, parameters: unknown[] = []): Promise<string[]> {
    const { rows } = await stack.database.pool.query(sql, parameters);
    return rows.map((row) => row.id);
  }

  /**
   * Spreads the rows over one millisecond of the past: the first `sameInstant` rows on one
   * instant at microsecond 456, the others 100 µs apart within the same millisecond.
   */
  function withinOneMillisecond(table: string, timestampColumn: string, sameInstant: number, where: string): string {
    return `UPDATE ${table} t SET ${timestampColumn} = date_trunc('milliseconds', now()) - interval '1 hour'
                  + CASE WHEN s.n <= ${sameInstant} THEN interval '456 microseconds' ELSE (s.n - ${sameInstant}) * interval '100 microseconds' END
              FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM ${table} WHERE ${where}) s
             WHERE t.id = s.id`;
  }

  it('bookings: every row once, newest first, for an agent and for operations', async () => {
    await seedBookings(stack.database.pool, {
      agencyId,
      checkIn: dateFromToday(40),
      checkOut: dateFromToday(41),
      nationalities: ['RU'],
      count: 13,
      referencePrefix: 'PAGE',
    });
    await stack.database.pool.query(withinOneMillisecond('bookings', 'created_at', 6, `reference LIKE 'PAGE-%'`));
    const expected = await column(`SELECT id FROM bookings WHERE agency_id = $1 ORDER BY created_at DESC, id DESC`, [agencyId]);
    expect(expected).toHaveLength(13);

    for (const limit of [1, 2, 5]) {
      expect(await everyPage(agent, '/v1/bookings', limit)).toEqual(expected);
      // Operations see every agency's bookings (through another index); only this agency has any.
      expect(await everyPage(stack.operations, '/v1/bookings', limit)).toEqual(expected);
    }
  });

  it('agencies: every row once, oldest first', async () => {
    await stack.database.pool.query(
      `INSERT INTO agencies (name, webhook_secret) SELECT 'Paged agency ' || n, 'not-used' FROM generate_series(1, 7) AS n`,
    );
    await stack.database.pool.query(withinOneMillisecond('agencies', 'created_at', 3, `name LIKE 'Paged agency %'`));
    const expected = await column(`SELECT id FROM agencies ORDER BY created_at, id`);
    expect(expected.length).toBeGreaterThanOrEqual(8);
    for (const limit of [1, 2, 3]) expect(await everyPage(stack.operations, '/v1/agencies', limit)).toEqual(expected);
  });

  it('restrictions: every row once, newest first', async () => {
    for (let index = 0; index < 5; index++) {
      const created = await stack.operations.post('/v1/restrictions', {
        nationalities: ['AQ'],
        effectiveFrom: instantFromNow(3600),
        reason: `Paged ${index}`,
      });
      expect(created.status).toBe(201);
    }
    await stack.database.pool.query(withinOneMillisecond('restrictions', 'created_at', 2, 'true'));
    const expected = await column(`SELECT id FROM restrictions ORDER BY created_at DESC, id DESC`);
    expect(expected).toHaveLength(5);
    for (const limit of [1, 2]) expect(await everyPage(stack.operations, '/v1/restrictions', limit)).toEqual(expected);
  });

  it('flights: every row once, by departure', async () => {
    const route = await stack.operations.post('/v1/routes', { origin: 'VVO', destination: 'WOS' });
    expect(route.status).toBe(201);
    const date = dateFromToday(60);
    for (let index = 0; index < 6; index++) {
      const created = await stack.operations.post('/v1/flights', {
        routeId: route.body.id,
        flightNumber: `KP${100 + index}`,
        departureAt: `${date}T09:00:00+10:00`,
        arrivalAt: `${date}T12:00:00+09:00`,
        seats: 10,
      });
      expect(created.status).toBe(201);
    }
    // Departures a few microseconds apart (flight numbers differ, so each stays unique).
    await stack.database.pool.query(
      `UPDATE flights f SET departure_at = f.departure_at + s.n * interval '100 microseconds'
         FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM flights) s WHERE f.id = s.id`,
    );
    const expected = await column(`SELECT id FROM flights ORDER BY departure_at, id`);
    expect(expected).toHaveLength(6);
    for (const limit of [1, 2, 4])
      expect(await everyPage(agent, `/v1/flights?from=${date}&to=${dateFromToday(61)}`, limit)).toEqual(expected);
  });

  it.each([
    ['/v1/bookings', 'bookings', 'createdAt'],
    ['/v1/agencies', 'agencies', 'createdAt'],
    ['/v1/restrictions', 'restrictions', 'createdAt'],
    [`/v1/flights?from=${dateFromToday(60)}&to=${dateFromToday(61)}`, 'flights', 'departureAt'],
    ['/v1/routes/5d7c6f5e-2d4a-4c1b-9e8f-7a6b5c4d3e2f/suspensions', 'route-suspensions', 'from'],
  ] as const)('%s refuses a forged cursor whose timestamp PostgreSQL would not take (400, not 500)', async (path, list, key) => {
    const separator = path.includes('?') ? '&' : '?';
    for (const timestamp of ['2027-02-30T00:00:00.000000Z', 'yesterday', '0000-01-01T00:00:00Z']) {
      const cursor = encodeCursor(list, { [key]: timestamp, id: '0b7c6f5e-2d4a-4c1b-9e8f-7a6b5c4d3e2f' });
      const response = await stack.operations.get(`${path}${separator}cursor=${cursor}`);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'validation_failed' });
    }
  });

  it("refuses one list's cursor on another list whose sort key has the same shape", async () => {
    await stack.operations.createAgencyWithAgentKey();
    await stack.operations.createAgencyWithAgentKey();
    const agencies = await stack.operations.get('/v1/agencies?limit=1');
    expect(agencies.body.nextCursor).toEqual(expect.any(String));
    for (const path of ['/v1/bookings', '/v1/restrictions']) {
      const response = await stack.operations.get(`${path}?cursor=${agencies.body.nextCursor}`);
      expect({ path, status: response.status, code: response.body.code }).toEqual({ path, status: 400, code: 'validation_failed' });
    }
    expect((await stack.operations.get(`/v1/agencies?cursor=${agencies.body.nextCursor}`)).status).toBe(200);
  });
});
