import { PoolClient } from 'pg';
import { ELSEWHERE_CHECK_MS } from '#libs/jobs';
import { dateFromToday } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { enforcementCompleted, nightsOutOfBalance, seedBookings, waitForRestriction } from './support/restriction-helpers';
import { waitFor, WebhookReceiver } from './support/webhook-receiver';

/** Deliveries a second while the worker enforces a ban (WEBHOOK_RATE_DURING_ENFORCEMENT); a claim takes a fifth of a second's worth. */
const RATE = 20;
const BURST = RATE / 5;
/** Two workers: one enforces the ban, and both pace their deliveries, from one pace (the other learns of the ban from PostgreSQL). */
const WORKERS = 2;
const OTHER_NOTIFICATIONS = 300;
/** How long the test holds the ban's enforcement in progress while it counts deliveries. */
const HELD_MS = 3_000;

/**
 * While a worker enforces a ban it delivers webhooks at a trickle, so that the cancellations and
 * other agencies' bookings keep the cores (BENCHMARKS.md), yet an agency the ban does not touch
 * still gets its notifications within a second or two, not after the ban; once the ban is done,
 * the rest goes out at full speed. Every worker paces, not only the one enforcing, and the pace is
 * theirs together: they share the database, and on a small machine the cores. The enforcement is held in progress by a transaction of the
 * test that locks the night its bookings begin on (a chunk locks its nights last).
 */
describe('webhooks while a ban is enforced', () => {
  let stack: KalmaStack;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    stack = await startKalmaStack({
      apiCount: 1,
      workerCount: WORKERS,
      env: { WEBHOOK_DISPATCH_INTERVAL_MS: '200', WEBHOOK_RATE_DURING_ENFORCEMENT: String(RATE) },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  it("go out at WEBHOOK_RATE_DURING_ENFORCEMENT, another agency's first within seconds, and the rest at full speed once the ban is done", async () => {
    const banned = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/banned`);
    const other = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/other`);
    const night = dateFromToday(30);
    await seedBookings(stack.database.pool, {
      agencyId: banned.agencyId,
      checkIn: night,
      checkOut: dateFromToday(32),
      nationalities: ['US'],
      count: 10,
      referencePrefix: 'PACING',
    });

    const blocker: PoolClient = await stack.database.pool.connect();
    let restrictionId: string;
    let otherIds: string[];
    let insertedAt: number;
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM nights WHERE date = $1 FOR UPDATE', [night]);
      const created = await stack.operations.post('/v1/restrictions', {
        nationalities: ['US'],
        effectiveFrom: new Date().toISOString(),
        effectiveUntil: `${dateFromToday(60)}T00:00:00+09:00`,
        reason: 'Pacing test',
      });
      expect(created.status).toBe(201);
      restrictionId = created.body.id;
      await waitForRestriction(stack.operations, restrictionId, (restriction) => restriction.enforcement.state === 'running');
      // Its first chunk now waits for the night: the worker is enforcing.
      await waitFor(
        async () => (await stack.database.pool.query(`SELECT count(*)::int AS waiting FROM pg_locks WHERE NOT granted`)).rows[0].waiting,
        (waiting) => waiting >= 1,
        10_000,
      );
      // The other worker asks PostgreSQL at most every ELSEWHERE_CHECK_MS whether a ban is being enforced.
      await new Promise((resolve) => setTimeout(resolve, ELSEWHERE_CHECK_MS + 1_000));

      insertedAt = Date.now();
      const { rows } = await stack.database.pool.query<{ id: string }>(
        `INSERT INTO notifications (agency_id, type, data, dedupe_key)
         SELECT $1, 'booking.hold_expired', jsonb_build_object('bookingId', gen_random_uuid(), 'reference', 'KAL-P' || i), 'test:' || gen_random_uuid()
           FROM generate_series(1, $2) AS i
         RETURNING id`,
        [other.agencyId, OTHER_NOTIFICATIONS],
      );
      otherIds = rows.map((row) => row.id);
      await new Promise((resolve) => setTimeout(resolve, HELD_MS));

      const arrivals = receiver.received.filter((request) => request.path === '/other').map((request) => request.receivedAt);
      // Not held back until the ban is done: the first within seconds, then about RATE a second…
      expect(arrivals.length).toBeGreaterThan(0);
      expect(Math.min(...arrivals) - insertedAt).toBeLessThan(2_000);
      expect(arrivals.length).toBeGreaterThanOrEqual((RATE * HELD_MS) / 1000 / 2);
      // …and never more than the pace allows the workers together (a full burst at the start):
      // unpaced, all arrive within a second; each worker at its own pace, twice as many.
      expect(arrivals.length).toBeLessThanOrEqual(BURST + (RATE * (Date.now() - insertedAt)) / 1000);
      const enforcing = await stack.operations.get(`/v1/restrictions/${restrictionId}`);
      expect(enforcing.body.enforcement.state).toBe('running');
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }

    const done = await waitForRestriction(stack.operations, restrictionId, enforcementCompleted);
    expect(done.enforcement).toMatchObject({ affectedBookings: 10, cancelledBookings: 10 });
    const completedAt = new Date(done.enforcement.completedAt).getTime();
    // The rest, and the ban's own ten, at full speed: far sooner than RATE a second would take.
    await waitFor(
      () =>
        otherIds.every((id) => receiver.requestsFor(id).length > 0) && receiver.received.filter((r) => r.path === '/banned').length >= 10,
      (all) => all,
      10_000,
    );
    const lastArrival = Math.max(...receiver.received.map((request) => request.receivedAt));
    expect(lastArrival - completedAt).toBeLessThan(2_000);
    // One webhook-id per notification, each sent once (every receiver answered 2xx).
    const ids = receiver.received.map((request) => request.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
    // Each worker said when it slowed down and when it went back to full speed (the one not
    // enforcing learns of the end up to ELSEWHERE_CHECK_MS late).
    for (const worker of stack.workers) {
      const lines = await waitFor(
        () => worker.output().split('\n'),
        (output) => output.some((line) => line.includes('webhook deliveries at full speed')),
        5_000,
      );
      const paced = lines.findIndex((line) => line.includes(`webhook deliveries paced at ${RATE}/s`));
      expect(paced).toBeGreaterThanOrEqual(0);
      expect(lines.findIndex((line) => line.includes('webhook deliveries at full speed'))).toBeGreaterThan(paced);
    }
  });
});
