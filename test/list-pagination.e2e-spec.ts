import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { CursorList, encodeCursor } from '#libs/shared';
import { dateFromToday, guest, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { pageThrough } from './support/pagination';

/**
 * Every list endpoint, paged from the first page to the last, returns every row exactly once in
 * its documented order, for row counts around 9→10, 99→100 and 999→1,000 and page sizes 1…200,
 * while rows are added (and, in the inbox, acknowledged) between pages. Rows are seeded in SQL,
 * set-based, with ties and sub-millisecond gaps on the sort key; some are added through HTTP.
 *
 * The expected result of one walk is computed from the database alone: the rows there at the
 * start, plus each row added while paging that sorts after the last row returned before it was
 * added, minus each row that left the list's filter (an acknowledgement under `unacknowledged`)
 * before the walk reached it; in the documented order, computed in SQL on the real column types.
 */

const BOUNDARY_COUNTS = [9, 10, 11, 99, 100, 101, 999, 1000, 1001];
const rowCount = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...BOUNDARY_COUNTS) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 1001 }) },
);
const pageSize = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(1, 2, 9, 10, 11, 99, 100, 101, 199, 200) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 200 }) },
);
/** Walks of at most this many pages (about the row count plus the rows added, over the page size): the machine is shared. */
const MAX_PAGES = 60;
const countAndPageSize = fc.tuple(rowCount, pageSize).filter(([count, limit]) => Math.ceil((count + 8) / limit) <= MAX_PAGES);
/** The pages after which rows are added (or acknowledged): early, so that short walks see them too. */
const pagesToChangeAfter = fc.uniqueArray(fc.nat({ max: 4 }), { maxLength: 2 });

/** Rows a walk must (not) return because of what changed between its pages. */
class PagingModel {
  private readonly events: { kind: 'added' | 'left'; ids: string[]; lastReturned: string | undefined }[] = [];

  constructor(private readonly initial: string[]) {}

  /** Rows that now match the list, inserted after `idsSoFar` were returned. */
  added(ids: string[], idsSoFar: string[]): void {
    this.events.push({ kind: 'added', ids, lastReturned: idsSoFar[idsSoFar.length - 1] });
  }

  /** Rows that no longer match the list's filter (still in the table). */
  left(ids: string[], idsSoFar: string[]): void {
    this.events.push({ kind: 'left', ids, lastReturned: idsSoFar[idsSoFar.length - 1] });
  }

  /** What a correct walk returns, given every row of the list's scope in its documented order. */
  expected(ordered: string[]): string[] {
    const position = new Map(ordered.map((id, index) => [id, index]));
    const at = (id: string): number => {
      const index = position.get(id);
      if (index === undefined) throw new Error(`row ${id} is not in the ordered rows`);
      return index;
    };
    const rows = new Set(this.initial);
    for (const event of this.events) {
      const cursor = event.lastReturned === undefined ? -1 : at(event.lastReturned);
      // Behind the cursor, a change is invisible: a row added there is never returned, one leaving was returned already.
      for (const id of event.ids.filter((changed) => at(changed) > cursor)) {
        if (event.kind === 'added') rows.add(id);
        else rows.delete(id);
      }
    }
    return ordered.filter((id) => rows.has(id));
  }
}

/** Fails with a short account (counts, first difference) rather than a diff of a thousand ids. */
function expectRows(what: string, returned: string[], expected: string[]): void {
  const seen = new Set<string>();
  const duplicates = returned.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
  const wanted = new Set(expected);
  const missing = expected.filter((id) => !seen.has(id));
  const unexpected = [...seen].filter((id) => !wanted.has(id));
  const firstDifference = returned.findIndex((id, index) => expected[index] !== id);
  if (duplicates.length || missing.length || unexpected.length || returned.length !== expected.length || firstDifference >= 0) {
    throw new Error(
      `${what}: returned ${returned.length} rows, expected ${expected.length}; ${duplicates.length} twice, ${missing.length} missing, ` +
        `${unexpected.length} unexpected; first out of place at index ${firstDifference}`,
    );
  }
}

describe('list pagination: every row exactly once, in the documented order (property-based)', () => {
  let stack: KalmaStack;
  let pool: KalmaStack['database']['pool'];
  let agent: KalmaClient;
  /** Distinct per run: the last digits of seeded notification sequences, check-in dates, route codes. */
  let run = 0;

  beforeAll(async () => {
    stack = await startKalmaStack();
    pool = stack.database.pool;
    const agency = await stack.operations.createAgencyWithAgentKey('Pagination agent');
    agent = new KalmaClient(stack.apis[0].baseUrl, agency.agentKey);
    // Seeded notifications take explicit sequences that cross 99→100, 999→1,000 and 9,999→10,000
    // whatever the run; the identity hands out values far above them, so the two never collide.
    await pool.query(`ALTER TABLE notifications ALTER COLUMN sequence RESTART WITH 1000000000000000`);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function ids(sql: string, parameters: unknown[] = []): Promise<string[]> {
    const { rows } = await pool.query(sql, parameters);
    return rows.map((row) => row.id);
  }

  /** Three rows per instant, instants 7 µs apart (so 143 to a millisecond), ending an hour ago. */
  const SPREAD_CREATED_AT = `date_trunc('milliseconds', now()) - interval '1 hour' - (n / 3) * interval '7 microseconds'`;

  /** A three-letter code for k (AAA, AAB, …), as SQL over the integer expression k. */
  const threeLetters = (k: string): string => `chr(65 + (${k}) / 676 % 26) || chr(65 + (${k}) / 26 % 26) || chr(65 + (${k}) % 26)`;

  /** A code for an added route to WOV that is not WOV itself (a route joins two airports). */
  const WOV = (22 * 26 + 14) * 26 + 21;
  const notWov = (k: number): number => (k === WOV ? k + 1 : k);

  /** A route of its own for one run (SQL; the DB does not care which airports). */
  async function seedRoute(): Promise<string> {
    const { rows } = await pool.query(
      `INSERT INTO routes (origin, destination, origin_name, destination_name)
       VALUES (${threeLetters('$1::int')}, 'WOS', 'Paged origin', 'Wonsan') RETURNING id`,
      [5000 + run],
    );
    return rows[0].id;
  }

  /**
   * Notifications of one agency with explicit sequences n·64 + run (one run's never meet
   * another's), every `acknowledgedEvery`-th one already acknowledged, and the delivery states in turn.
   */
  async function seedNotifications(agencyId: string, count: number, acknowledgedEvery: number): Promise<void> {
    await pool.query(
      `INSERT INTO notifications (sequence, agency_id, type, data, dedupe_key, acknowledged_at, delivery_state, next_attempt_at, delivered_at)
       OVERRIDING SYSTEM VALUE
       SELECT n * 64 + $3, $1::uuid, 'booking.cancelled', jsonb_build_object('bookingId', gen_random_uuid(), 'reference', 'PAGE-' || n),
              'paged:' || $1::text || ':' || n,
              CASE WHEN $4::int > 0 AND n % $4::int = 0 THEN now() END,
              (ARRAY['pending', 'delivered', 'failed', 'not_applicable'])[n % 4 + 1],
              CASE WHEN n % 4 = 0 THEN now() + interval '1 day' END,
              CASE WHEN n % 4 = 1 THEN now() END
         FROM generate_series(1, $2::int) AS n`,
      [agencyId, count, run % 64, acknowledgedEvery],
    );
  }

  /** Notifications written the way the outbox writes them (identity sequence, now()), while a walk is under way. */
  async function addNotifications(agencyId: string, count: number): Promise<string[]> {
    return ids(
      `INSERT INTO notifications (agency_id, type, data, dedupe_key)
       SELECT $1, 'booking.hold_expired', jsonb_build_object('bookingId', gen_random_uuid(), 'reference', 'ADDED'), 'added:' || gen_random_uuid()
         FROM generate_series(1, $2::int) RETURNING id`,
      [agencyId, count],
    );
  }

  const RUNS = { numRuns: 8, endOnFailure: true };

  it('agencies: oldest first', async () => {
    await fc.assert(
      fc.asyncProperty(countAndPageSize, pagesToChangeAfter, async ([count, limit], changeAfter) => {
        run++;
        // None of these has keys or bookings: the list is back to the agencies the other tests made.
        await pool.query(`DELETE FROM agencies WHERE name LIKE 'Paged agency %'`);
        await pool.query(
          `INSERT INTO agencies (name, webhook_secret, created_at) SELECT 'Paged agency ' || n, 'not-used', ${SPREAD_CREATED_AT}
             FROM generate_series(1, $1::int) AS n`,
          [count],
        );
        const model = new PagingModel(await ids(`SELECT id FROM agencies ORDER BY created_at, id`));
        const returned = await pageThrough(stack.operations, '/v1/agencies', {
          limit,
          betweenPages: async (pageIndex, idsSoFar) => {
            if (!changeAfter.includes(pageIndex)) return;
            const created = await stack.operations.post('/v1/agencies', { name: `Paged agency added ${randomUUID()}` });
            expect(created.status).toBe(201);
            model.added([created.body.id], idsSoFar);
          },
        });
        expectRows(
          `agencies, ${count} seeded, limit ${limit}`,
          returned,
          model.expected(await ids(`SELECT id FROM agencies ORDER BY created_at, id`)),
        );
      }),
      RUNS,
    );
  }, 60_000);

  it('bookings: newest first, for the agency and for operations', async () => {
    await fc.assert(
      fc.asyncProperty(countAndPageSize, pagesToChangeAfter, fc.boolean(), async ([count, limit], changeAfter, asOperations) => {
        run++;
        const agency = await stack.operations.createAgencyWithAgentKey(`Bookings ${run}`);
        const owner = stack.operations.as(agency.agentKey);
        const checkIn = dateFromToday(100 + run);
        const checkOut = dateFromToday(101 + run);
        await pool.query(
          `INSERT INTO bookings (reference, agency_id, status, check_in, check_out, guests, guest_count, nationalities, created_at)
           SELECT 'PAGE-' || $1 || '-' || n, $2, 'confirmed', $3, $4, '[{"fullName": "Seeded Guest", "nationality": "RU"}]', 1, '{RU}', ${SPREAD_CREATED_AT}
             FROM generate_series(1, $5::int) AS n`,
          [run, agency.agencyId, checkIn, checkOut, count],
        );
        await pool.query(
          `INSERT INTO nights (date, capacity, reserved) VALUES ($1, 20000, $2) ON CONFLICT (date) DO UPDATE SET reserved = nights.reserved + excluded.reserved`,
          [checkIn, count],
        );
        // The agent sees its agency's bookings; operations, through another index, those of the check-in range.
        const scope = asOperations
          ? {
              client: stack.operations,
              path: `/v1/bookings?checkInFrom=${checkIn}&checkInTo=${checkOut}`,
              sql: `check_in >= $1 AND check_in < $2`,
              parameters: [checkIn, checkOut],
            }
          : { client: owner, path: '/v1/bookings', sql: `agency_id = $1`, parameters: [agency.agencyId] };
        const ordered = () => ids(`SELECT id FROM bookings WHERE ${scope.sql} ORDER BY created_at DESC, id DESC`, scope.parameters);
        const model = new PagingModel(await ordered());
        const returned = await pageThrough(scope.client, scope.path, {
          limit,
          betweenPages: async (pageIndex, idsSoFar) => {
            if (!changeAfter.includes(pageIndex)) return;
            const created = await owner.createBooking({ checkIn, checkOut, guests: [guest('RU')] });
            expect(created.status).toBe(201);
            model.added([created.body.id], idsSoFar);
          },
        });
        expectRows(
          `bookings (${asOperations ? 'operations' : 'agent'}), ${count} seeded, limit ${limit}`,
          returned,
          model.expected(await ordered()),
        );
      }),
      RUNS,
    );
  }, 60_000);

  it('restrictions: newest first', async () => {
    await fc.assert(
      fc.asyncProperty(countAndPageSize, pagesToChangeAfter, async ([count, limit], changeAfter) => {
        run++;
        await pool.query(`DELETE FROM restrictions`);
        await pool.query(
          `INSERT INTO restrictions (nationalities, home_country, effective_from, window_from, reason, created_at)
           SELECT '{AQ}', 'KP', now() + interval '300 days', (now() + interval '300 days')::date, 'Paged ' || n, ${SPREAD_CREATED_AT}
             FROM generate_series(1, $1::int) AS n`,
          [count],
        );
        const ordered = () => ids(`SELECT id FROM restrictions ORDER BY created_at DESC, id DESC`);
        const model = new PagingModel(await ordered());
        const returned = await pageThrough(agent, '/v1/restrictions', {
          limit,
          betweenPages: async (pageIndex, idsSoFar) => {
            if (!changeAfter.includes(pageIndex)) return;
            const created = await stack.operations.post('/v1/restrictions', {
              nationalities: ['AQ'],
              effectiveFrom: new Date(Date.now() + 300 * 86_400_000).toISOString(),
              reason: 'Paged, added',
            });
            expect(created.status).toBe(201);
            model.added([created.body.id], idsSoFar);
          },
        });
        expectRows(`restrictions, ${count} seeded, limit ${limit}`, returned, model.expected(await ordered()));
      }),
      RUNS,
    );
  }, 60_000);

  it('routes: by origin, then destination', async () => {
    await fc.assert(
      fc.asyncProperty(
        countAndPageSize,
        pagesToChangeAfter,
        fc.nat({ max: 26 ** 3 - 1 }),
        async ([count, limit], changeAfter, addedCode) => {
          run++;
          await pool.query(`DELETE FROM routes WHERE origin_name = 'Paged route'`);
          // Two destinations per origin, so that the second key decides too.
          await pool.query(
            `INSERT INTO routes (origin, destination, origin_name, destination_name)
           SELECT ${threeLetters('n / 2')}, CASE n % 2 WHEN 0 THEN 'WOT' ELSE 'WOU' END, 'Paged route', 'Paged'
             FROM generate_series(0, $1::int - 1) AS n`,
            [count],
          );
          const ordered = () => ids(`SELECT id FROM routes ORDER BY origin COLLATE "C", destination COLLATE "C"`);
          const model = new PagingModel(await ordered());
          let added = 0;
          const returned = await pageThrough(agent, '/v1/routes', {
            limit,
            betweenPages: async (pageIndex, idsSoFar) => {
              if (!changeAfter.includes(pageIndex)) return;
              // Anywhere in the order: before the cursor (never returned) or after it (returned).
              const created = await ids(
                `INSERT INTO routes (origin, destination, origin_name, destination_name)
               VALUES (${threeLetters('$1::int')}, 'WOV', 'Paged route', 'Paged') ON CONFLICT DO NOTHING RETURNING id`,
                [notWov((addedCode + 7919 * added++) % 26 ** 3)],
              );
              model.added(created, idsSoFar);
            },
          });
          expectRows(`routes, ${count} seeded, limit ${limit}`, returned, model.expected(await ordered()));
        },
      ),
      RUNS,
    );
  }, 60_000);

  it('flights: by departure', async () => {
    await fc.assert(
      fc.asyncProperty(
        countAndPageSize,
        pagesToChangeAfter,
        fc.double({ min: 0, max: 1, noNaN: true }),
        async ([count, limit], changeAfter, where) => {
          run++;
          const routeId = await seedRoute();
          // A day per run: (flight number, departure) is unique across routes.
          const firstDeparture = `${dateFromToday(60 + run)}T09:00:00+09:00`;
          // Three flights per departure (different numbers), departures 1.000007 s apart.
          await pool.query(
            `INSERT INTO flights (route_id, flight_number, departure_at, arrival_at, seats)
           SELECT $1, 'KP' || n, $2::timestamptz + (n / 3) * interval '1.000007 seconds',
                  $2::timestamptz + (n / 3) * interval '1.000007 seconds' + interval '2 hours', 100
             FROM generate_series(1, $3::int) AS n`,
            [routeId, firstDeparture, count],
          );
          const ordered = () => ids(`SELECT id FROM flights WHERE route_id = $1 ORDER BY departure_at, id`, [routeId]);
          const model = new PagingModel(await ordered());
          let added = 0;
          const returned = await pageThrough(agent, `/v1/flights?routeId=${routeId}`, {
            limit,
            betweenPages: async (pageIndex, idsSoFar) => {
              if (!changeAfter.includes(pageIndex)) return;
              // Through HTTP, departing somewhere among the seeded ones.
              const departure = new Date(Date.parse(firstDeparture) + Math.floor(((where + 0.37 * added) % 1) * (count / 3)) * 1000 + 500);
              const created = await stack.operations.post('/v1/flights', {
                routeId,
                flightNumber: `ZZ${++added}`,
                departureAt: departure.toISOString(),
                arrivalAt: new Date(departure.getTime() + 7_200_000).toISOString(),
                seats: 10,
              });
              expect(created.status).toBe(201);
              model.added([created.body.id], idsSoFar);
            },
          });
          expectRows(`flights, ${count} seeded, limit ${limit}`, returned, model.expected(await ordered()));
        },
      ),
      RUNS,
    );
  }, 60_000);

  it("a route's suspensions: by start", async () => {
    await fc.assert(
      fc.asyncProperty(
        countAndPageSize,
        pagesToChangeAfter,
        fc.double({ min: 0, max: 1, noNaN: true }),
        async ([count, limit], changeAfter, where) => {
          run++;
          const routeId = await seedRoute();
          // Three suspensions per start (ties on the first key), starts 1.000007 s apart.
          await pool.query(
            `INSERT INTO route_suspensions (route_id, suspended_from, suspended_until, reason)
             SELECT $1, now() + interval '30 days' + (n / 3) * interval '1.000007 seconds',
                    CASE WHEN n % 2 = 0 THEN now() + interval '31 days' + (n / 3) * interval '1.000007 seconds' END, 'Paged ' || n
               FROM generate_series(1, $2::int) AS n`,
            [routeId, count],
          );
          const ordered = () => ids(`SELECT id FROM route_suspensions WHERE route_id = $1 ORDER BY suspended_from, id`, [routeId]);
          const model = new PagingModel(await ordered());
          let added = 0;
          const returned = await pageThrough(agent, `/v1/routes/${routeId}/suspensions`, {
            limit,
            betweenPages: async (pageIndex, idsSoFar) => {
              if (!changeAfter.includes(pageIndex)) return;
              // Starting somewhere among the seeded ones (or on one of their starts exactly).
              const created = await ids(
                `INSERT INTO route_suspensions (route_id, suspended_from, reason)
                 SELECT $1, min(suspended_from) + floor($2::float8 * ($3::int / 3)) * interval '1.000007 seconds', 'Added'
                   FROM route_suspensions WHERE route_id = $1
                 HAVING count(*) > 0
                 RETURNING id`,
                [routeId, (where + 0.37 * added++) % 1, count],
              );
              model.added(created, idsSoFar);
            },
          });
          expectRows(`suspensions, ${count} seeded, limit ${limit}`, returned, model.expected(await ordered()));
        },
      ),
      RUNS,
    );
  }, 60_000);

  it('notifications: oldest first, with and without unacknowledged, while rows are added and acknowledged', async () => {
    await fc.assert(
      fc.asyncProperty(
        countAndPageSize,
        pagesToChangeAfter,
        pagesToChangeAfter,
        fc.boolean(),
        fc.constantFrom(0, 2, 3, 7),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async ([count, limit], addAfter, acknowledgeAfter, unacknowledgedOnly, acknowledgedEvery, acknowledgeWhere) => {
          run++;
          const agency = await stack.operations.createAgencyWithAgentKey(`Inbox ${run}`);
          const owner = stack.operations.as(agency.agentKey);
          await seedNotifications(agency.agencyId, count, acknowledgedEvery);
          const all = () => ids(`SELECT id FROM notifications WHERE agency_id = $1 ORDER BY sequence`, [agency.agencyId]);
          const unacknowledged = () =>
            ids(`SELECT id FROM notifications WHERE agency_id = $1 AND acknowledged_at IS NULL ORDER BY sequence`, [agency.agencyId]);
          const model = new PagingModel(unacknowledgedOnly ? await unacknowledged() : await all());
          let throughHttp = false;
          const returned = await pageThrough(owner, `/v1/notifications${unacknowledgedOnly ? '?unacknowledged=true' : ''}`, {
            limit,
            betweenPages: async (pageIndex, idsSoFar) => {
              if (addAfter.includes(pageIndex)) {
                model.added(await addNotifications(agency.agencyId, 1 + (pageIndex % 3)), idsSoFar);
                if (!throughHttp) {
                  // One the way the product writes it: operations cancel one of the agency's bookings.
                  throughHttp = true;
                  const booking = await owner.createBooking({
                    checkIn: dateFromToday(200),
                    checkOut: dateFromToday(201),
                    guests: [guest('CN')],
                  });
                  expect(booking.status).toBe(201);
                  expect((await stack.operations.post(`/v1/bookings/${booking.body.id}/cancel`)).status).toBe(200);
                  model.added(await ids(`SELECT id FROM notifications WHERE data->>'bookingId' = $1`, [booking.body.id]), idsSoFar);
                }
              }
              if (acknowledgeAfter.includes(pageIndex)) {
                // Up to any row of the inbox, ahead of the walk or behind it.
                const everything = await all();
                // acknowledgeWhere may be 1 exactly (fast-check's double includes its max): the last row then.
                const upTo = everything[Math.min(everything.length - 1, Math.floor(acknowledgeWhere * everything.length))];
                const leaving = await ids(
                  `SELECT id FROM notifications WHERE agency_id = $1 AND acknowledged_at IS NULL
                      AND sequence <= (SELECT sequence FROM notifications WHERE id = $2)`,
                  [agency.agencyId, upTo],
                );
                const acknowledged = await owner.post('/v1/notifications/ack', { upTo });
                expect(acknowledged.status).toBe(200);
                expect(acknowledged.body.acknowledged).toBe(leaving.length);
                if (unacknowledgedOnly) model.left(leaving, idsSoFar);
              }
            },
          });
          expectRows(
            `inbox${unacknowledgedOnly ? ' (unacknowledged)' : ''}, ${count} seeded, every ${acknowledgedEvery}th acknowledged, limit ${limit}`,
            returned,
            model.expected(await all()),
          );
        },
      ),
      { numRuns: 15, endOnFailure: true },
    );
  }, 90_000);

  it("an agency's webhook deliveries: newest first, with and without a state", async () => {
    await fc.assert(
      fc.asyncProperty(
        countAndPageSize,
        pagesToChangeAfter,
        fc.constantFrom(undefined, 'pending', 'delivered', 'failed'),
        async ([count, limit], addAfter, state) => {
          run++;
          const agency = await stack.operations.post('/v1/agencies', { name: `Deliveries ${run}` });
          expect(agency.status).toBe(201);
          const agencyId: string = agency.body.id;
          await seedNotifications(agencyId, count, 0);
          const ordered = () =>
            ids(`SELECT id FROM notifications WHERE agency_id = $1 AND ($2::text IS NULL OR delivery_state = $2) ORDER BY sequence DESC`, [
              agencyId,
              state ?? null,
            ]);
          const model = new PagingModel(await ordered());
          const returned = await pageThrough(
            stack.operations,
            `/v1/agencies/${agencyId}/webhook-deliveries${state ? `?state=${state}` : ''}`,
            {
              limit,
              idOf: (row: { notificationId: string }) => row.notificationId,
              betweenPages: async (pageIndex, idsSoFar) => {
                // New ones are pending and newest: behind the cursor of a newest-first walk.
                if (!addAfter.includes(pageIndex)) return;
                const added = await addNotifications(agencyId, 2);
                if (state === undefined || state === 'pending') model.added(added, idsSoFar);
              },
            },
          );
          expectRows(`deliveries${state ? ` (${state})` : ''}, ${count} seeded, limit ${limit}`, returned, model.expected(await ordered()));
        },
      ),
      RUNS,
    );
  }, 60_000);

  it('audit events: newest first, by entity or by cause, while events are added', async () => {
    await fc.assert(
      fc.asyncProperty(countAndPageSize, pagesToChangeAfter, fc.boolean(), async ([count, limit], changeAfter, byCause) => {
        run++;
        const agency = await stack.operations.post('/v1/agencies', { name: `Audited ${run}` });
        expect(agency.status).toBe(201);
        const agencyId: string = agency.body.id;
        const causeId = randomUUID();
        // Events of this agency, caused by one (made-up) restriction, three to an instant.
        await pool.query(
          `INSERT INTO audit_events (at, action, entity_type, entity_id, actor_type, cause_type, cause_id, changes)
           SELECT ${SPREAD_CREATED_AT}, 'agency.updated', 'agency', $1, 'system', 'restriction', $2,
                  jsonb_build_object('name', jsonb_build_object('from', 'n' || n, 'to', 'n' || n + 1))
             FROM generate_series(1, $3::int) AS n`,
          [agencyId, causeId, count],
        );
        const scope = byCause
          ? { path: `/v1/audit-events?causeId=${causeId}`, sql: `cause_id = $1`, parameter: causeId }
          : { path: `/v1/audit-events?entityType=agency&entityId=${agencyId}`, sql: `entity_id = $1`, parameter: agencyId };
        const ordered = () => ids(`SELECT id FROM audit_events WHERE ${scope.sql} ORDER BY at DESC, id DESC`, [scope.parameter]);
        const model = new PagingModel(await ordered());
        let renamed = 0;
        const returned = await pageThrough(stack.operations, scope.path, {
          limit,
          betweenPages: async (pageIndex, idsSoFar) => {
            if (!changeAfter.includes(pageIndex)) return;
            // Through HTTP: the newest event of the agency, behind the cursor of a newest-first walk.
            const renamedAgency = await stack.operations.request('PATCH', `/v1/agencies/${agencyId}`, {
              name: `Audited ${run} renamed ${++renamed}`,
            });
            expect(renamedAgency.status).toBe(200);
            if (!byCause)
              model.added(
                await ids(`SELECT id FROM audit_events WHERE entity_id = $1 AND cause_type = 'request' AND action = 'agency.updated'`, [
                  agencyId,
                ]),
                idsSoFar,
              );
          },
        });
        expectRows(
          `audit events (${byCause ? 'cause' : 'entity'}), ${count} seeded, limit ${limit}`,
          returned,
          model.expected(await ordered()),
        );
      }),
      RUNS,
    );
  }, 60_000);

  it.each([
    ['/v1/agencies', 'operations'],
    ['/v1/bookings', 'agent'],
    ['/v1/restrictions', 'agent'],
    ['/v1/routes', 'agent'],
    ['/v1/flights', 'agent'],
    ['/v1/notifications', 'agent'],
    ['/v1/notifications?unacknowledged=true', 'agent'],
    ['/v1/agencies/{agency}/webhook-deliveries', 'operations'],
    ['/v1/audit-events', 'operations'],
  ])('%s takes a limit of 1 to 200 only (400 validation_failed otherwise)', async (template, role) => {
    const client = role === 'operations' ? stack.operations : agent;
    const { rows } = await pool.query(`SELECT id FROM agencies LIMIT 1`);
    const path = template.replace('{agency}', rows[0].id);
    const separator = path.includes('?') ? '&' : '?';
    for (const limit of ['0', '201', 'abc', '-1', '1.5', '1e3']) {
      const response = await client.get(`${path}${separator}limit=${limit}`);
      expect({ limit, status: response.status, code: response.body?.code }).toEqual({ limit, status: 400, code: 'validation_failed' });
    }
    for (const limit of ['1', '200']) expect((await client.get(`${path}${separator}limit=${limit}`)).status).toBe(200);
  });

  it.each([
    ['/v1/routes', 'agent', { origin: 'A\u0000B', destination: 'WOS' }],
    ['/v1/routes', 'agent', { origin: 'x'.repeat(300), destination: 'WOS' }],
    ['/v1/routes', 'agent', { origin: 1e300, destination: 'WOS' }],
    ['/v1/notifications', 'agent', { sequence: 'abc' }],
    ['/v1/notifications', 'agent', { sequence: '99999999999999999999' }],
    ['/v1/notifications', 'agent', { sequence: -1 }],
    ['/v1/agencies/{agency}/webhook-deliveries', 'operations', { sequence: '1.5' }],
    ['/v1/agencies/{agency}/webhook-deliveries', 'operations', { sequence: '\u0000' }],
    ['/v1/audit-events', 'operations', { at: '2027-02-30T00:00:00.000000Z', id: '00000000-0000-4000-8000-000000000000' }],
    ['/v1/audit-events', 'operations', { at: '2027-01-01T00:00:00.000000Z', id: 'not-a-uuid' }],
  ])('%s refuses forged cursor %# (400, not 500)', async (template, role, position) => {
    // Cursors of the right list, so that it is the forged values, not the list check, that are refused.
    const listOf = (path: string): CursorList =>
      path.startsWith('/v1/routes')
        ? 'routes'
        : path.startsWith('/v1/notifications')
          ? 'notifications'
          : path.startsWith('/v1/audit-events')
            ? 'audit-events'
            : 'webhook-deliveries';
    const client = role === 'operations' ? stack.operations : agent;
    const { rows } = await pool.query(`SELECT id FROM agencies LIMIT 1`);
    const path = template.replace('{agency}', rows[0].id);
    const separator = path.includes('?') ? '&' : '?';
    const response = await client.get(
      `${path}${separator}cursor=${encodeCursor(listOf(template), position as Record<string, string | number>)}`,
    );
    expect({ status: response.status, code: response.body?.code }).toEqual({ status: 400, code: 'validation_failed' });
  });
});
