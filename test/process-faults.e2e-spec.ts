import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { jobIds } from '#libs/jobs';
import { waitFor as poll } from '../scripts/harness';
import { brokenInvariants } from './support/database-snapshot';
import { dateFromToday, guest, HttpResult, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { enforcementCompleted, instantFromNow, waitForEnforcingWorker, waitForRestriction } from './support/restriction-helpers';
import { ApiProcess, RedisServerProcess, startRedisServer } from './support/service-processes';

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Polls `read` until `done` holds, or fails after `timeoutMs` naming what it waited for and what it last saw. */
const waitFor = <T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> =>
  poll(read, done, { what, timeoutMs });

/** An HTTP answer, or the error `fetch` threw because the connection failed or was cut. */
type Outcome = HttpResult | { status: 0; error: string };

async function attempt(call: () => Promise<HttpResult>): Promise<Outcome> {
  try {
    return await call();
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return { status: 0, error: cause?.code ?? cause?.message ?? String(error) };
  }
}

/** How a client learns that the server it was talking to died: the connection is cut or refused. */
const CONNECTION_ERRORS = ['UND_ERR_SOCKET', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE'];

describe('an API process SIGKILLed in the middle of a booking batch', () => {
  /** The killed API's connections carry this name, so that its sessions can be told from the survivor's in pg_stat_activity. */
  const VICTIM_APPLICATION_NAME = 'kalma-test-victim-api';
  let stack: KalmaStack;
  let survivor: ApiProcess;
  let victim: ApiProcess;
  let agencyKey: string;
  /** Arriving flights by check-in day, leaving flights by check-out day (days from today). */
  const arriving = new Map<number, string>();
  const leaving = new Map<number, string>();
  /** Booked on by the victim API's clients only: the flight the test locks to freeze one of the victim's batches. */
  let victimOnlyFlight: string;
  /** Closed-loop clients per API during the test. */
  const VICTIM_CLIENTS = 16;
  const SURVIVOR_CLIENTS = 6;
  /**
   * One connection per client and one to spare. A cancellation of a booking on the locked flight
   * waits for it holding a connection; with fewer connections than clients, a burst of such
   * cancellations could take them all and leave no booking batch a connection to be frozen with
   * (the step-2 wait then timed out, now and then, on a loaded machine). The per-agency write
   * limit (`AGENCY_WRITE_CONCURRENCY`) now bounds that burst too; the spare pool stays so that
   * this suite tests the kill, not that limit.
   */
  const poolSizeFor = (clients: number) => String(clients + 1);

  beforeAll(async () => {
    // The first API survives (the stack's operations client talks to it); the second is killed.
    stack = await startKalmaStack({ apiCount: 1, env: { DATABASE_POOL_SIZE: poolSizeFor(SURVIVOR_CLIENTS) } });
    survivor = stack.apis[0];
    const victimDatabaseUrl = new URL(stack.env.DATABASE_URL);
    victimDatabaseUrl.searchParams.set('application_name', VICTIM_APPLICATION_NAME);
    victim = await stack.startApi({
      DATABASE_URL: victimDatabaseUrl.toString(),
      DATABASE_POOL_SIZE: poolSizeFor(VICTIM_CLIENTS),
    });
    agencyKey = (await stack.operations.createAgencyWithAgentKey()).agentKey;
    // Small first nights and small flights, so that capacity and seats run out during the test
    // and the counters are checked at their limits; the later nights stay open, so bookings
    // without flights go on succeeding after the kill.
    for (const day of [30, 31])
      expect((await stack.operations.put(`/v1/capacity/${dateFromToday(day)}`, { capacity: 40 })).status).toBe(200);
    const inbound = await stack.operations.post('/v1/routes', { origin: 'VVO', destination: 'WOS' });
    const outbound = await stack.operations.post('/v1/routes', { origin: 'WOS', destination: 'VVO' });
    expect([inbound.status, outbound.status]).toEqual([201, 201]);
    let flightNumber = 700;
    const addFlight = async (routeId: string, departureAt: string, arrivalAt: string): Promise<string> => {
      const created = await stack.operations.post('/v1/flights', {
        routeId,
        flightNumber: `KR${flightNumber++}`,
        departureAt,
        arrivalAt,
        seats: 30,
      });
      expect(created.status).toBe(201);
      return created.body.id;
    };
    for (const day of [30, 31, 32, 33]) {
      const date = dateFromToday(day);
      arriving.set(day, await addFlight(inbound.body.id, `${date}T09:00:00+10:00`, `${date}T12:00:00+09:00`));
    }
    for (const day of [31, 32, 33, 34, 35]) {
      const date = dateFromToday(day);
      leaving.set(day, await addFlight(outbound.body.id, `${date}T14:00:00+09:00`, `${date}T17:00:00+10:00`));
    }
    victimOnlyFlight = await addFlight(inbound.body.id, `${dateFromToday(30)}T10:00:00+10:00`, `${dateFromToday(30)}T13:00:00+09:00`);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  interface Sent {
    api: 'victim' | 'survivor';
    kind: 'create' | 'cancel';
    startedAt: number;
    idempotencyKey?: string;
    body?: any;
    bookingId?: string;
    outcome: Outcome;
  }

  /**
   * The n-th booking request: one to two nights checking in on days 30–33, one to three guests
   * (named after n, so the booking can be found by its first guest), a quarter of them holds,
   * with no flight, an outbound, a return or both.
   */
  function bookingBody(n: number, api: Sent['api']): any {
    const checkInDay = 30 + (n % 4);
    const checkOutDay = checkInDay + 1 + (Math.floor(n / 4) % 2);
    const flights = Math.floor(n / 8) % 4;
    const outboundFlightId = checkInDay === 30 && api === 'victim' ? victimOnlyFlight : arriving.get(checkInDay);
    return {
      checkIn: dateFromToday(checkInDay),
      checkOut: dateFromToday(checkOutDay),
      guests: Array.from({ length: 1 + (n % 3) }, (_, position) => guest(position % 2 ? 'CN' : 'RU', `Guest ${n}.${position}`)),
      hold: n % 4 === 1,
      ...(flights === 1 || flights === 3 ? { outboundFlightId } : {}),
      ...(flights === 2 || flights === 3 ? { returnFlightId: leaving.get(checkOutDay) } : {}),
    };
  }

  /**
   * Closed-loop clients of one API: each sends its next request when the previous one is
   * answered; every sixth request cancels (as operations, so the agency is notified) a booking
   * the client made earlier. A client stops at its first connection error (its server is gone)
   * or when `stop()` says so.
   */
  function runClients(
    api: Sent['api'],
    baseUrl: string,
    clients: number,
    counter: { next: number },
    sent: Sent[],
    stop: () => boolean,
  ): Promise<void> {
    const agent = new KalmaClient(baseUrl, agencyKey);
    const operations = new KalmaClient(baseUrl, stack.operationsKey);
    return Promise.all(
      Array.from({ length: clients }, async () => {
        const mine: string[] = [];
        for (let round = 1; !stop(); round++) {
          const startedAt = Date.now();
          let entry: Sent;
          if (round % 6 === 0 && mine.length > 0) {
            const bookingId = mine.shift() as string;
            entry = {
              api,
              kind: 'cancel',
              startedAt,
              bookingId,
              outcome: await attempt(() => operations.post(`/v1/bookings/${bookingId}/cancel`)),
            };
          } else {
            const body = bookingBody(counter.next++, api);
            const idempotencyKey = randomUUID();
            entry = {
              api,
              kind: 'create',
              startedAt,
              idempotencyKey,
              body,
              outcome: await attempt(() => agent.createBooking(body, idempotencyKey)),
            };
            if (entry.outcome.status === 201) mine.push((entry.outcome as HttpResult).body.id);
          }
          sent.push(entry);
          if (entry.outcome.status === 0) return;
        }
      }),
    ).then(() => undefined);
  }

  /** Answers that a healthy API may give under this load; anything else (a 5xx above all) is a finding. */
  function unexpectedAnswers(entries: Sent[]): string[] {
    return entries.flatMap(({ api, kind, outcome }) => {
      if (outcome.status === 0) return [];
      const { status, body } = outcome as HttpResult;
      if (kind === 'create' && status === 201) return [];
      if (kind === 'create' && status === 409 && ['capacity_exhausted', 'seats_exhausted'].includes(body?.code)) return [];
      if (kind === 'cancel' && status === 200 && body?.status === 'cancelled') return [];
      return [`${api} ${kind}: ${status} ${JSON.stringify(body)}`];
    });
  }

  it('its clients get connection errors, its open transaction is rolled back, the other API serves on, and every invariant holds', async () => {
    const sent: Sent[] = [];
    const counter = { next: 0 };
    let victimDead = false;
    let loadEnds = false;
    const victimClients = runClients('victim', victim.baseUrl, VICTIM_CLIENTS, counter, sent, () => victimDead);
    const survivorClients = runClients('survivor', survivor.baseUrl, SURVIVOR_CLIENTS, counter, sent, () => loadEnds);
    const blocker = await stack.database.pool.connect();
    try {
      // 1. Both APIs under load, bookings made and refused on both.
      await waitFor(
        'both APIs answering bookings',
        async () => ({
          victim: sent.filter((entry) => entry.api === 'victim').length,
          survivor: sent.filter((entry) => entry.api === 'survivor').length,
        }),
        (answered) => answered.victim >= 150 && answered.survivor >= 60,
        20_000,
      );

      // 2. Freeze one of the victim's batches inside its transaction: lock the flight that only
      //    the victim's clients book. The victim's next batch booking it then claims its
      //    Idempotency-Keys, locks its nights, and waits for the flight (or, having claimed its
      //    keys, waits for a night held by a cancellation that waits for the flight): a
      //    half-done batch, frozen until the lock is released. Only an admission batch writes
      //    to idempotency_keys, which tells it from a cancellation.
      await blocker.query('BEGIN');
      const { rows: blockerRows } = await blocker.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`);
      await blocker.query(`SELECT id FROM flights WHERE id = $1 FOR UPDATE`, [victimOnlyFlight]);
      await waitFor(
        "a victim's booking batch frozen behind the locked flight",
        async () =>
          (
            await stack.database.pool.query<{ pid: number }>(
              `WITH RECURSIVE frozen (pid) AS (
                 SELECT $1::int
                 UNION
                 SELECT a.pid FROM pg_stat_activity a JOIN frozen f ON f.pid = ANY(pg_blocking_pids(a.pid)))
               SELECT a.pid FROM pg_stat_activity a JOIN frozen f ON f.pid = a.pid
                WHERE a.application_name = $2
                  AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.relation = 'idempotency_keys'::regclass AND l.mode = 'RowExclusiveLock')`,
              [blockerRows[0].pid, VICTIM_APPLICATION_NAME],
            )
          ).rows,
        (rows) => rows.length > 0,
        10_000,
      );

      // 3. Kill it there. The API admits one batch at a time, so every booking request it had
      //    accepted was in that batch or queued behind it; a cancellation in flight (its own
      //    transaction) may have committed or not.
      victimDead = true;
      await victim.kill();
      expect(victim.child.signalCode).toBe('SIGKILL');
      await victimClients;

      // 4. Release the flight: the dead API's frozen sessions get their locks, find their client
      //    gone, and roll back. Until then they hold their night locks; the survivor waits on
      //    them (it is only delayed: its requests are answered once the lock is released).
      await blocker.query('ROLLBACK');
      await waitFor(
        'every session of the killed API to end',
        async () =>
          (
            await stack.database.pool.query(`SELECT pid, state, query FROM pg_stat_activity WHERE application_name = $1`, [
              VICTIM_APPLICATION_NAME,
            ])
          ).rows,
        (rows) => rows.length === 0,
        10_000,
      );
      const releasedAt = Date.now();
      await waitFor(
        'the surviving API answering bookings after the kill',
        async () => sent.filter((entry) => entry.api === 'survivor' && entry.startedAt > releasedAt && entry.outcome.status === 201).length,
        (created) => created >= 10,
        20_000,
      );
      loadEnds = true;
      await survivorClients;

      const victimSent = sent.filter((entry) => entry.api === 'victim');
      const survivorSent = sent.filter((entry) => entry.api === 'survivor');

      // 5. No wrong answers from either API: only bookings, capacity or seat refusals and cancellations.
      expect(unexpectedAnswers(sent)).toEqual([]);

      // 6. The victim's clients whose requests were open got connection errors (not a hang, not an answer).
      const cut = victimSent.filter((entry) => entry.outcome.status === 0);
      expect(cut.length).toBeGreaterThan(0);
      expect(
        cut.filter((entry) => !CONNECTION_ERRORS.includes((entry.outcome as { error: string }).error)).map((entry) => entry.outcome),
      ).toEqual([]);

      // 7. The survivor lost no request.
      expect(survivorSent.filter((entry) => entry.outcome.status === 0).map((entry) => entry.outcome)).toEqual([]);

      // 8. Every 201 is a committed booking, as answered.
      const created = sent
        .filter((entry) => entry.kind === 'create' && entry.outcome.status === 201)
        .map((entry) => (entry.outcome as HttpResult).body);
      expect(created.length).toBeGreaterThan(20);
      const { rows: stored } = await stack.database.pool.query(
        `SELECT id, guest_count AS "guestCount", outbound_flight_id AS "outboundFlightId", return_flight_id AS "returnFlightId"
           FROM bookings WHERE id = ANY($1::uuid[])`,
        [created.map((booking) => booking.id)],
      );
      const storedById = new Map(stored.map((row) => [row.id, row]));
      for (const booking of created) {
        expect(storedById.get(booking.id)).toEqual({
          id: booking.id,
          guestCount: booking.guestCount,
          outboundFlightId: booking.outboundFlightId,
          returnFlightId: booking.returnFlightId,
        });
      }

      // 9. Nothing half-written: counters, seats, idempotency records and notifications all agree with the bookings.
      expect(await brokenInvariants(stack.database.pool)).toEqual([]);

      // 10. The cut bookings were not written (the batch in flight rolled back, the rest never
      //     started), and their claimed Idempotency-Keys were released with it: retried on the
      //     survivor, each is decided afresh, once (never "still in flight").
      const cutCreates = cut.filter((entry) => entry.kind === 'create');
      const firstGuests = cutCreates.map((entry) => entry.body.guests[0].fullName as string);
      const { rows: writtenBeforeRetry } = await stack.database.pool.query(
        `SELECT guests -> 0 ->> 'fullName' AS name FROM bookings WHERE guests -> 0 ->> 'fullName' = ANY($1)`,
        [firstGuests],
      );
      expect(writtenBeforeRetry).toEqual([]);
      const survivorAgent = new KalmaClient(survivor.baseUrl, agencyKey);
      for (const entry of cutCreates) {
        const retried = await survivorAgent.createBooking(entry.body, entry.idempotencyKey);
        expect({ status: retried.status, code: retried.body.code }).toEqual(
          retried.status === 201
            ? { status: 201, code: undefined }
            : { status: 409, code: expect.stringMatching(/^(capacity|seats)_exhausted$/) },
        );
        const { rows } = await stack.database.pool.query(
          `SELECT count(*)::int AS count FROM bookings WHERE guests -> 0 ->> 'fullName' = $1`,
          [entry.body.guests[0].fullName],
        );
        expect(rows[0].count).toBe(retried.status === 201 ? 1 : 0);
      }
      // A cut cancellation either committed (booking cancelled, its agency notified once) or left the booking live: retried, it ends cancelled.
      const survivorOperations = new KalmaClient(survivor.baseUrl, stack.operationsKey);
      for (const entry of cut.filter((cutEntry) => cutEntry.kind === 'cancel')) {
        const retried = await survivorOperations.post(`/v1/bookings/${entry.bookingId}/cancel`);
        expect({ status: retried.status, code: retried.body.code }).toEqual(
          retried.status === 200 ? { status: 200, code: undefined } : { status: 409, code: 'invalid_state' },
        );
      }
      expect(await brokenInvariants(stack.database.pool)).toEqual([]);
    } finally {
      victimDead = true;
      loadEnds = true;
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
      await Promise.allSettled([victimClients, survivorClients]);
    }
  });
});

/**
 * Redis dies under a running API and worker and comes back empty (as a restart without
 * persistence, or a failover to an empty replica, leaves it): every delayed job and scheduler is
 * gone. Postgres holds the state; the API must degrade to 503 (never a 500 or a hang) and
 * recover by itself, and the worker must find the lost work again.
 */
describe('Redis killed and restarted empty under a running API and worker', () => {
  let redis: RedisServerProcess;
  let stack: KalmaStack;
  let agent: KalmaClient;
  /** Any answer slower than this during the outage counts as a hang. */
  const ANSWER_BOUND_MS = 5_000;
  /** Work whose trigger Redis lost is done at most this long after it is due and Redis is back (sweeps run every second). */
  const LOST_WORK_DONE_WITHIN_MS = 10_000;

  beforeAll(async () => {
    // A private Redis: the test kills it, and every other test file shares the run's Redis.
    redis = await startRedisServer();
    // Holds long enough to outlive the outage (their delayed jobs are lost with Redis), sweeps every second.
    stack = await startKalmaStack({
      apiCount: 1,
      workerCount: 1,
      env: { REDIS_URL: redis.url, HOLD_TTL_SECONDS: '10', SWEEP_INTERVAL_SECONDS: '1' },
    });
    agent = stack.operations.as((await stack.operations.createAgencyWithAgentKey()).agentKey);
    await waitForEnforcingWorker(stack.operations);
  });

  afterAll(async () => {
    await stack?.stop();
    await redis?.kill();
  });

  /** A call and how long it took to be answered; one that hangs is given up on (and reported) at twice the bound. */
  async function timed(call: () => Promise<HttpResult>): Promise<Outcome & { milliseconds: number }> {
    const startedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const givenUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ANSWER_BOUND_MS * 2} ms`)), ANSWER_BOUND_MS * 2);
    });
    const outcome = await attempt(() => Promise.race([call(), givenUp])).finally(() => clearTimeout(timer));
    return { ...outcome, milliseconds: Date.now() - startedAt };
  }

  const booking = (nationality: string, hold: boolean, day = 3): unknown => ({
    checkIn: dateFromToday(day),
    checkOut: dateFromToday(day + 1),
    guests: [guest(nationality, `Redis fault ${randomUUID().slice(0, 8)}`)],
    hold,
  });

  async function notificationsFor(bookingId: string): Promise<{ type: string }[]> {
    const { rows } = await stack.database.pool.query(`SELECT type FROM notifications WHERE data->>'bookingId' = $1`, [bookingId]);
    return rows;
  }

  it('answers 503 (never 500, never hangs) while Redis is down, recovers by itself, and loses no hold expiry, ban or notification', async () => {
    // 1. Work whose trigger lives in Redis: a hold's expiry, and a ban that takes effect later.
    const banned = await agent.createBooking(booking('JP', false));
    expect(banned.status).toBe(201);
    const ban = await stack.operations.post('/v1/restrictions', {
      nationalities: ['JP'],
      effectiveFrom: instantFromNow(12),
      reason: 'Redis fault test',
    });
    expect(ban.status).toBe(201);
    const heldBefore = await agent.createBooking(booking('RU', true));
    expect(heldBefore.status).toBe(201);
    const probe = new Redis(redis.url, { lazyConnect: true });
    try {
      await probe.connect();
      const prefix = stack.env.QUEUE_PREFIX;
      expect(await probe.zrange(`${prefix}:restrictions:delayed`, '0', '-1')).toContain(jobIds.enforceRestriction(ban.body.id));
      expect(await probe.zrange(`${prefix}:bookings:delayed`, '0', '-1')).toContain(jobIds.expireHold(heldBefore.body.id));
    } finally {
      probe.disconnect();
    }

    // 2. Redis dies.
    await redis.kill();
    const outageEnds = Date.now() + 4_000;
    const duringOutage: { what: string; outcome: Outcome & { milliseconds: number } }[] = [];
    const createdDuringOutage: any[] = [];
    while (Date.now() < outageEnds) {
      duringOutage.push({ what: 'health', outcome: await timed(() => agent.get('/health')) });
      for (const hold of [false, true]) {
        const outcome = await timed(() => agent.createBooking(booking('RU', hold)));
        duringOutage.push({ what: hold ? 'hold' : 'booking', outcome });
        if (outcome.status === 201) createdDuringOutage.push((outcome as HttpResult).body);
      }
      // The ban is enforced at admission from Postgres, Redis or not.
      duringOutage.push({ what: 'banned booking', outcome: await timed(() => agent.createBooking(booking('JP', false))) });
      await sleep(200);
    }
    const slow = duringOutage
      .filter(({ outcome }) => outcome.milliseconds > ANSWER_BOUND_MS)
      .map(({ what, outcome }) => `${what}: ${outcome.milliseconds} ms`);
    expect(slow).toEqual([]);
    const wrong = duringOutage.filter(({ what, outcome }) => {
      if (outcome.status === 503) {
        const { headers, body } = outcome as HttpResult;
        if (
          !headers.get('content-type')?.includes('application/problem+json') ||
          body.code !== 'service_unavailable' ||
          headers.get('retry-after') === null
        )
          return true;
        // The health check says what is down: Redis, not Postgres.
        // The health check says what is down (Redis, not Postgres) and nothing else: no address, port or driver message.
        if (what !== 'health') return false;
        const leaks = /ECONN|ETIMEDOUT|\d+\.\d+\.\d+\.\d+|localhost|\[::|redis:\/\/|postgres(ql)?:\/\/|\bport\b/i.test(
          JSON.stringify(body),
        );
        return leaks || JSON.stringify(body.checks) !== JSON.stringify({ postgres: { status: 'up' }, redis: { status: 'down' } });
      }
      if (what === 'health') return true;
      if (what === 'banned booking') return outcome.status !== 422 || (outcome as HttpResult).body.code !== 'nationality_restricted';
      return outcome.status !== 201;
    });
    expect(
      wrong.map(({ what, outcome }) => `${what}: ${outcome.status} ${JSON.stringify('body' in outcome ? outcome.body : outcome.error)}`),
    ).toEqual([]);
    expect(duringOutage.filter(({ what }) => what === 'health').every(({ outcome }) => outcome.status === 503)).toBe(true);

    // 3. Redis comes back on the same address, empty.
    redis = await startRedisServer(redis.port);
    const backAt = Date.now();

    // 4. The API recovers without a restart: healthy again, and bookings go through.
    await waitFor(
      '/health back to 200',
      () => agent.get('/health'),
      (health) => health.status === 200,
      15_000,
    );
    const after = await agent.createBooking(booking('RU', true));
    expect(after.status).toBe(201);

    // 5. The lost triggers are found again in Postgres, promptly (within a few sweeps of Redis's
    //    return, not at some later re-arm): every hold expires through the periodic sweep, the
    //    ban is enforced through the reconciler, each notified exactly once.
    const holds = [heldBefore.body, ...createdDuringOutage.filter((created) => created.status === 'held'), after.body];
    for (const hold of holds) {
      const dueBy = Math.max(Date.parse(hold.holdExpiresAt), backAt) + LOST_WORK_DONE_WITHIN_MS;
      const released = (result: HttpResult): boolean => result.body.status === 'cancelled';
      const expired = await waitFor(`hold ${hold.id} released`, () => agent.get(`/v1/bookings/${hold.id}`), released, dueBy - Date.now());
      expect(expired.body.cancellation).toMatchObject({ reason: 'hold_expired' });
    }
    const banDueBy = Math.max(Date.parse(ban.body.effectiveFrom), backAt) + LOST_WORK_DONE_WITHIN_MS;
    const done = await waitForRestriction(stack.operations, ban.body.id, enforcementCompleted, Math.max(banDueBy - Date.now(), 0));
    expect(done.enforcement).toMatchObject({ affectedBookings: 1, cancelledBookings: 1 });
    expect((await agent.get(`/v1/bookings/${banned.body.id}`)).body.cancellation).toMatchObject({
      reason: 'restriction',
      restrictionId: ban.body.id,
    });
    for (const hold of holds) expect(await notificationsFor(hold.id)).toEqual([{ type: 'booking.hold_expired' }]);
    expect(await notificationsFor(banned.body.id)).toEqual([{ type: 'booking.cancelled' }]);
    // Confirmed bookings made during the outage are untouched.
    for (const confirmed of createdDuringOutage.filter((created) => created.status === 'confirmed')) {
      expect((await agent.get(`/v1/bookings/${confirmed.id}`)).body.status).toBe('confirmed');
    }
    expect(await brokenInvariants(stack.database.pool)).toEqual([]);

    // 6. Neither process died of it.
    expect([...stack.apis, ...stack.workers].map((handle) => handle.child.exitCode)).toEqual([null, null]);
  });
});
