import Redis from 'ioredis';
import { ENFORCEMENT_CHUNK_SIZE } from '#libs/enforcement';
import { jobIds, unlinkKeysMatching } from '#libs/jobs';
import { dateFromToday } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { freePort } from './support/service-processes';
import {
  blockLowerLaneSecondChunk,
  enforcementCompleted,
  instantFromNow,
  nightsOutOfBalance,
  seedBookings,
  UPPER_LANE_FROM,
  waitForEnforcingWorker,
  waitForRestriction,
} from './support/restriction-helpers';

/**
 * Ban enforcement survives its infrastructure: a worker killed mid-enforcement, and a Redis
 * that lost the trigger. Postgres is the source of truth; the queue is only the trigger.
 */
describe('restriction enforcement recovery', () => {
  let stack: KalmaStack;
  let agencyId: string;
  let workerMetricsPort: number;

  /** The worker's `kalma_bookings_cancelled_total{reason="restriction"}` (absent, so 0, before its first ban cancellation). */
  async function restrictionCancellationsCounted(): Promise<number> {
    const metrics = await (await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`)).text();
    return Number(/^kalma_bookings_cancelled_total\{reason="restriction"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
  }

  /**
   * The seeded bookings (references LIKE `references`: seeded references start with a prefix, not
   * the restriction id) are all cancelled by the restriction, each with one notification, and the
   * nights balance.
   */
  async function expectEachCancelledOnce(restrictionId: string, references: string, count: number): Promise<void> {
    const { rows } = await stack.database.pool.query(
      `SELECT count(*) FILTER (WHERE status = 'cancelled' AND cancellation_restriction_id = $1)::int AS cancelled,
              count(*) FILTER (WHERE status IN ('held', 'confirmed'))::int AS live
         FROM bookings WHERE reference LIKE $2`,
      [restrictionId, references],
    );
    expect(rows[0]).toEqual({ cancelled: count, live: 0 });
    const { rows: notifications } = await stack.database.pool.query(
      `SELECT count(*)::int AS notifications, count(DISTINCT data->>'bookingId')::int AS bookings
         FROM notifications WHERE type = 'booking.cancelled' AND data->>'restrictionId' = $1`,
      [restrictionId],
    );
    expect(notifications[0]).toEqual({ notifications: count, bookings: count });
    expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
  }

  beforeAll(async () => {
    workerMetricsPort = await freePort();
    // A fast sweep so that the reconciler's re-trigger is seen within the test's patience.
    stack = await startKalmaStack({
      apiCount: 1,
      workerCount: 1,
      env: { SWEEP_INTERVAL_SECONDS: '1', WORKER_METRICS_PORT: String(workerMetricsPort) },
    });
    agencyId = (await stack.operations.createAgencyWithAgentKey()).agencyId;
    await waitForEnforcingWorker(stack.operations);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('a worker SIGKILLed mid-enforcement and restarted: every affected booking cancelled exactly once, one notification each', async () => {
    const count = 3000;
    const prefix = 'KILL';
    await seedBookings(stack.database.pool, {
      agencyId,
      checkIn: dateFromToday(2),
      checkOut: dateFromToday(5),
      nationalities: ['US', 'RU'],
      count,
      referencePrefix: prefix,
    });

    // Hold one booking from the middle (in id order: with one check-in, the order enforcement takes
    // them in) so the enforcement is certainly mid-way, with chunks committed before it, when the worker dies.
    const blocker = await stack.database.pool.connect();
    try {
      await blocker.query('BEGIN');
      // (Found first, then locked alone: FOR UPDATE with OFFSET would lock every row skipped too.)
      const { rows: middle } = await blocker.query(`SELECT id FROM bookings WHERE reference LIKE $1 ORDER BY id OFFSET $2 LIMIT 1`, [
        `${prefix}-%`,
        Math.floor(count * 0.6),
      ]);
      await blocker.query(`SELECT id FROM bookings WHERE id = $1 FOR UPDATE`, [middle[0].id]);
      const created = await stack.operations.post('/v1/restrictions', {
        nationalities: ['US'],
        effectiveFrom: instantFromNow(0),
        reason: 'Kill test',
      });
      expect(created.status).toBe(201);
      const running = await waitForRestriction(
        stack.operations,
        created.body.id,
        (restriction) => restriction.enforcement.cancelledBookings >= 1,
      );
      expect(running.enforcement.state).toBe('running');
      expect(running.enforcement.cancelledBookings).toBeLessThan(count);

      await stack.workers[0].kill();
      await blocker.query('ROLLBACK');
      stack.startWorker();

      const done = await waitForRestriction(stack.operations, created.body.id, enforcementCompleted, 60_000);
      expect(done.enforcement).toMatchObject({ affectedBookings: count, cancelledBookings: count });
      await expectEachCancelledOnce(created.body.id, `${prefix}-%`, count);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }
  }, 120_000);

  it('lifted while enforcement runs: it stops at once, the chunk in flight is rolled back, nothing is cancelled after the lift', async () => {
    const count = 8000;
    const prefix = 'LIFT';
    await seedBookings(stack.database.pool, {
      agencyId,
      checkIn: dateFromToday(6),
      checkOut: dateFromToday(8),
      nationalities: ['MX'],
      count,
      referencePrefix: prefix,
    });
    const { rows: halves } = await stack.database.pool.query(
      `SELECT count(*) FILTER (WHERE id >= $2)::int AS upper FROM bookings WHERE reference LIKE $1`,
      [`${prefix}-%`, UPPER_LANE_FROM],
    );
    const countedBefore = await restrictionCancellationsCounted();
    const blocker = await stack.database.pool.connect();
    try {
      // Blocks the lower lane in its second chunk; the upper lane runs to its end.
      await blockLowerLaneSecondChunk(blocker, prefix);
      const created = await stack.operations.post('/v1/restrictions', {
        nationalities: ['MX'],
        effectiveFrom: instantFromNow(0),
        reason: 'Lift test',
      });
      expect(created.status).toBe(201);
      await waitForRestriction(
        stack.operations,
        created.body.id,
        (restriction) => restriction.enforcement.cancelledBookings >= halves[0].upper + ENFORCEMENT_CHUNK_SIZE,
        30_000,
      );

      // The lift does not wait for the blocked chunk: that chunk, once unblocked, finds the
      // restriction lifted when it records its progress, and rolls back.
      const lifted = await stack.operations.post(`/v1/restrictions/${created.body.id}/lift`);
      expect(lifted.status).toBe(200);
      expect(lifted.body).toMatchObject({
        status: 'lifted',
        enforcement: { state: 'completed', cancelledBookings: halves[0].upper + ENFORCEMENT_CHUNK_SIZE },
      });
      await blocker.query('ROLLBACK');

      await new Promise((resolve) => setTimeout(resolve, 2000));
      const after = await stack.operations.get(`/v1/restrictions/${created.body.id}`);
      expect(after.body.enforcement).toEqual(lifted.body.enforcement);
      const { rows } = await stack.database.pool.query(
        `SELECT count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled, count(*) FILTER (WHERE status = 'confirmed')::int AS live,
                count(*) FILTER (WHERE cancelled_at > $2)::int AS "cancelledAfterLift"
           FROM bookings WHERE reference LIKE $1`,
        [`${prefix}-%`, lifted.body.liftedAt],
      );
      expect(rows[0]).toEqual({
        cancelled: halves[0].upper + ENFORCEMENT_CHUNK_SIZE,
        live: count - halves[0].upper - ENFORCEMENT_CHUNK_SIZE,
        cancelledAfterLift: 0,
      });
      expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
      // The metric counts committed cancellations only, not the rolled-back chunk's.
      expect((await restrictionCancellationsCounted()) - countedBefore).toBe(halves[0].upper + ENFORCEMENT_CHUNK_SIZE);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }
  }, 120_000);

  it('takes each lane by check-in: the earliest stays are cancelled first, and a chunk stays on a few nights', async () => {
    const prefix = 'ORDER';
    // Two early check-ins fill more than a chunk of the lower lane; the last one is blocked below.
    const checkIns = [dateFromToday(20), dateFromToday(21), dateFromToday(22)];
    const counts = [2500, 2500, 1000];
    for (const [index, checkIn] of checkIns.entries()) {
      await seedBookings(stack.database.pool, {
        agencyId,
        checkIn,
        checkOut: dateFromToday(24 + index),
        nationalities: ['NZ'],
        count: counts[index],
        referencePrefix: `${prefix}${index}`,
      });
    }
    const total = counts.reduce((sum, count) => sum + count, 0);
    const seeded = `${prefix}_-%`;
    const { rows: upper } = await stack.database.pool.query(
      `SELECT count(*)::int AS count FROM bookings WHERE reference LIKE $1 AND id >= $2`,
      [seeded, UPPER_LANE_FROM],
    );
    const blocker = await stack.database.pool.connect();
    try {
      // The lowest id of the last check-in in the lower lane: in id order it would be among the
      // first bookings locked; by check-in it comes after every booking of the first two days.
      await blocker.query('BEGIN');
      const { rows: blocked } = await blocker.query(`SELECT id FROM bookings WHERE reference LIKE $1 AND id < $2 ORDER BY id LIMIT 1`, [
        `${prefix}2-%`,
        UPPER_LANE_FROM,
      ]);
      await blocker.query(`SELECT id FROM bookings WHERE id = $1 FOR UPDATE`, [blocked[0].id]);
      const created = await stack.operations.post('/v1/restrictions', {
        nationalities: ['NZ'],
        effectiveFrom: instantFromNow(0),
        reason: 'Order test',
      });
      expect(created.status).toBe(201);
      // The upper lane runs to its end; the lower one commits its first chunk and waits in its second.
      await waitForRestriction(
        stack.operations,
        created.body.id,
        (restriction) => restriction.enforcement.cancelledBookings >= upper[0].count + ENFORCEMENT_CHUNK_SIZE,
        30_000,
      );
      const { rows: lowerCancelled } = await stack.database.pool.query(
        `SELECT check_in::text AS "checkIn", count(*)::int AS count FROM bookings
          WHERE reference LIKE $1 AND id < $2 AND status = 'cancelled' GROUP BY check_in ORDER BY check_in`,
        [seeded, UPPER_LANE_FROM],
      );
      // Exactly the first chunk by (check-in, id), all of it on the first two check-ins.
      expect(lowerCancelled.reduce((sum: number, row: { count: number }) => sum + row.count, 0)).toBe(ENFORCEMENT_CHUNK_SIZE);
      expect(lowerCancelled.map((row: { checkIn: string }) => row.checkIn)).toEqual(checkIns.slice(0, 2));
      const { rows: firstChunk } = await stack.database.pool.query(
        `SELECT bool_and(status = 'cancelled') AS cancelled FROM (
           SELECT status FROM bookings WHERE reference LIKE $1 AND id < $2 ORDER BY check_in, id LIMIT ${ENFORCEMENT_CHUNK_SIZE}) chunk`,
        [seeded, UPPER_LANE_FROM],
      );
      expect(firstChunk[0].cancelled).toBe(true);

      await blocker.query('ROLLBACK');
      const done = await waitForRestriction(stack.operations, created.body.id, enforcementCompleted, 60_000);
      expect(done.enforcement).toMatchObject({ affectedBookings: total, cancelledBookings: total });
      await expectEachCancelledOnce(created.body.id, seeded, total);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }
  }, 120_000);

  it("a Redis flush of this deployment's keys while a ban is scheduled: the reconciler still enforces it", async () => {
    const count = 200;
    const prefix = 'FLUSH';
    await seedBookings(stack.database.pool, {
      agencyId,
      checkIn: dateFromToday(3),
      checkOut: dateFromToday(4),
      nationalities: ['JP'],
      count,
      referencePrefix: prefix,
    });
    const effectiveFrom = instantFromNow(4);
    const created = await stack.operations.post('/v1/restrictions', { nationalities: ['JP'], effectiveFrom, reason: 'Flush test' });
    expect(created.status).toBe(201);

    // FLUSHDB, for this deployment: every key under its queue prefix (other suites share this Redis).
    const redis = new Redis(stack.env.REDIS_URL);
    try {
      const delayedKey = `${stack.env.QUEUE_PREFIX}:restrictions:delayed`;
      // The trigger: one delayed job whose id is derived from the restriction.
      expect(await redis.zrange(delayedKey, '0', '-1')).toEqual([jobIds.enforceRestriction(created.body.id)]);
      await unlinkKeysMatching(redis, `${stack.env.QUEUE_PREFIX}:*`);
      expect(await redis.zcard(delayedKey)).toBe(0);
    } finally {
      redis.disconnect();
    }

    await new Promise((resolve) => setTimeout(resolve, Math.max(new Date(effectiveFrom).getTime() - Date.now(), 0) + 1000));
    const { rows: before } = await stack.database.pool.query(
      `SELECT count(*)::int AS live FROM bookings WHERE reference LIKE $1 AND status = 'confirmed'`,
      [`${prefix}-%`],
    );
    expect(before[0].live).toBe(count);

    // The worker re-declares its schedulers every 30 s; the reconciler then finds the due ban in Postgres.
    const done = await waitForRestriction(stack.operations, created.body.id, enforcementCompleted, 60_000);
    expect(done.enforcement).toMatchObject({ affectedBookings: count, cancelledBookings: count });
    const { rows } = await stack.database.pool.query(
      `SELECT count(*) FILTER (WHERE status = 'cancelled' AND cancellation_restriction_id = $1)::int AS cancelled FROM bookings WHERE reference LIKE $2`,
      [created.body.id, `${prefix}-%`],
    );
    expect(rows[0].cancelled).toBe(count);
    const { rows: notifications } = await stack.database.pool.query(
      `SELECT count(*)::int AS count FROM notifications WHERE data->>'restrictionId' = $1`,
      [created.body.id],
    );
    expect(notifications[0].count).toBe(count);
    expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
  }, 120_000);

  /**
   * The same faults under the policies that keep parties: mixed parties (a covered guest and a
   * Russian adult), each reduced exactly once, its notification written once, its nights exact.
   */
  describe.each([
    {
      policy: 'remove_covered_guests',
      notification: 'booking.guests_removed',
      codes: { kill: 'DE', lift: 'FR', flush: 'IT' },
      liftCheckInDays: 9,
    },
    { policy: 'ask', notification: 'booking.action_required', codes: { kill: 'ES', lift: 'PT', flush: 'NL' }, liftCheckInDays: 12 },
  ])('with party policy $policy', ({ policy, notification, codes, liftCheckInDays }) => {
    let policyAgencyId: string;

    beforeAll(async () => {
      policyAgencyId = (await stack.operations.createAgencyWithAgentKey()).agencyId;
      const updated = await stack.operations.request('PATCH', `/v1/agencies/${policyAgencyId}`, { partyPolicy: policy });
      expect(updated.body.partyPolicy).toBe(policy);
    });

    /** Of the seeded bookings: reduced (the Russian alone left), untouched (both guests), and anything else (should be none). */
    async function endStates(
      prefix: string,
      restrictionId: string,
    ): Promise<{ reduced: number; untouched: number; other: number; waiting: number }> {
      const { rows } = await stack.database.pool.query(
        `SELECT count(*) FILTER (WHERE status = 'confirmed' AND guest_count = 1 AND nationalities = '{RU}' AND guests->0->>'nationality' = 'RU')::int AS reduced,
                count(*) FILTER (WHERE status = 'confirmed' AND guest_count = 2)::int AS untouched,
                count(*) FILTER (WHERE NOT (status = 'confirmed' AND (guest_count = 2 OR (guest_count = 1 AND nationalities = '{RU}'))))::int AS other,
                count(*) FILTER (WHERE action_required_restriction_id = $2)::int AS waiting
           FROM bookings WHERE reference LIKE $1`,
        [`${prefix}-%`, restrictionId],
      );
      return rows[0];
    }

    async function notificationsOf(restrictionId: string): Promise<{ notifications: number; bookings: number }> {
      const { rows } = await stack.database.pool.query(
        `SELECT count(*)::int AS notifications, count(DISTINCT data->>'bookingId')::int AS bookings
           FROM notifications WHERE data->>'restrictionId' = $1::text AND type = $2`,
        [restrictionId, notification],
      );
      return rows[0];
    }

    it('a worker SIGKILLed mid-enforcement and restarted: every party reduced exactly once, one notification each', async () => {
      const count = 3000;
      const prefix = `KILL${codes.kill}`;
      await seedBookings(stack.database.pool, {
        agencyId: policyAgencyId,
        checkIn: dateFromToday(2),
        checkOut: dateFromToday(5),
        nationalities: [codes.kill, 'RU'],
        count,
        referencePrefix: prefix,
      });
      const blocker = await stack.database.pool.connect();
      try {
        await blocker.query('BEGIN');
        const { rows: middle } = await blocker.query(`SELECT id FROM bookings WHERE reference LIKE $1 ORDER BY id OFFSET $2 LIMIT 1`, [
          `${prefix}-%`,
          Math.floor(count * 0.6),
        ]);
        await blocker.query(`SELECT id FROM bookings WHERE id = $1 FOR UPDATE`, [middle[0].id]);
        const created = await stack.operations.post('/v1/restrictions', {
          nationalities: [codes.kill],
          effectiveFrom: instantFromNow(0),
          reason: 'Kill test',
        });
        expect(created.status).toBe(201);
        const running = await waitForRestriction(
          stack.operations,
          created.body.id,
          (restriction) => restriction.enforcement.reducedBookings >= 1,
        );
        expect(running.enforcement.state).toBe('running');
        expect(running.enforcement.reducedBookings).toBeLessThan(count);

        await stack.workers[stack.workers.length - 1].kill();
        await blocker.query('ROLLBACK');
        stack.startWorker();

        const done = await waitForRestriction(stack.operations, created.body.id, enforcementCompleted, 60_000);
        expect(done.enforcement).toMatchObject({ affectedBookings: count, cancelledBookings: 0, reducedBookings: count });
        expect(await endStates(prefix, created.body.id)).toEqual({
          reduced: count,
          untouched: 0,
          other: 0,
          waiting: policy === 'ask' ? count : 0,
        });
        expect(await notificationsOf(created.body.id)).toEqual({ notifications: count, bookings: count });
        expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
      } finally {
        await blocker.query('ROLLBACK').catch(() => undefined);
        blocker.release();
      }
    }, 120_000);

    it('lifted while enforcement runs: the chunk in flight is rolled back, nothing is reduced after the lift', async () => {
      const count = 8000;
      const prefix = `LIFT${codes.lift}`;
      // Nights of their own: the live parties of the other lift tests fill theirs.
      await seedBookings(stack.database.pool, {
        agencyId: policyAgencyId,
        checkIn: dateFromToday(liftCheckInDays),
        checkOut: dateFromToday(liftCheckInDays + 2),
        nationalities: [codes.lift, 'RU'],
        count,
        referencePrefix: prefix,
      });
      const { rows: halves } = await stack.database.pool.query(
        `SELECT count(*) FILTER (WHERE id >= $2)::int AS upper FROM bookings WHERE reference LIKE $1`,
        [`${prefix}-%`, UPPER_LANE_FROM],
      );
      const reducedBeforeLift = halves[0].upper + ENFORCEMENT_CHUNK_SIZE;
      const blocker = await stack.database.pool.connect();
      try {
        await blockLowerLaneSecondChunk(blocker, prefix);
        const created = await stack.operations.post('/v1/restrictions', {
          nationalities: [codes.lift],
          effectiveFrom: instantFromNow(0),
          reason: 'Lift test',
        });
        expect(created.status).toBe(201);
        await waitForRestriction(
          stack.operations,
          created.body.id,
          (restriction) => restriction.enforcement.reducedBookings >= reducedBeforeLift,
          30_000,
        );

        const lifted = await stack.operations.post(`/v1/restrictions/${created.body.id}/lift`);
        expect(lifted.status).toBe(200);
        expect(lifted.body).toMatchObject({
          status: 'lifted',
          enforcement: { state: 'completed', cancelledBookings: 0, reducedBookings: reducedBeforeLift },
        });
        await blocker.query('ROLLBACK');

        await new Promise((resolve) => setTimeout(resolve, 2000));
        expect((await stack.operations.get(`/v1/restrictions/${created.body.id}`)).body.enforcement).toEqual(lifted.body.enforcement);
        expect(await endStates(prefix, created.body.id)).toEqual({
          reduced: reducedBeforeLift,
          untouched: count - reducedBeforeLift,
          other: 0,
          waiting: policy === 'ask' ? reducedBeforeLift : 0,
        });
        expect(await notificationsOf(created.body.id)).toEqual({ notifications: reducedBeforeLift, bookings: reducedBeforeLift });
        expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
      } finally {
        await blocker.query('ROLLBACK').catch(() => undefined);
        blocker.release();
      }
    }, 120_000);

    it("a Redis flush of this deployment's keys while a ban is scheduled: the reconciler still reduces every party once", async () => {
      const count = 200;
      const prefix = `FLUSH${codes.flush}`;
      await seedBookings(stack.database.pool, {
        agencyId: policyAgencyId,
        checkIn: dateFromToday(3),
        checkOut: dateFromToday(4),
        nationalities: [codes.flush, 'RU'],
        count,
        referencePrefix: prefix,
      });
      const effectiveFrom = instantFromNow(4);
      const created = await stack.operations.post('/v1/restrictions', {
        nationalities: [codes.flush],
        effectiveFrom,
        reason: 'Flush test',
      });
      expect(created.status).toBe(201);
      const redis = new Redis(stack.env.REDIS_URL);
      try {
        expect(await redis.zrange(`${stack.env.QUEUE_PREFIX}:restrictions:delayed`, '0', '-1')).toEqual([
          jobIds.enforceRestriction(created.body.id),
        ]);
        await unlinkKeysMatching(redis, `${stack.env.QUEUE_PREFIX}:*`);
      } finally {
        redis.disconnect();
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(new Date(effectiveFrom).getTime() - Date.now(), 0) + 1000));
      expect((await endStates(prefix, created.body.id)).untouched).toBe(count);

      const done = await waitForRestriction(stack.operations, created.body.id, enforcementCompleted, 60_000);
      expect(done.enforcement).toMatchObject({ affectedBookings: count, cancelledBookings: 0, reducedBookings: count });
      expect(await endStates(prefix, created.body.id)).toEqual({
        reduced: count,
        untouched: 0,
        other: 0,
        waiting: policy === 'ask' ? count : 0,
      });
      expect(await notificationsOf(created.body.id)).toEqual({ notifications: count, bookings: count });
      expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
    }, 120_000);
  });
});

/**
 * A ban larger than ENFORCEMENT_PARALLEL_MAX_BOOKINGS runs its lanes one after the other, so
 * that admissions keep a core: the lanes are then never side by side, and a worker killed in
 * the first one leaves a restart to finish both, every booking cancelled exactly once.
 */
describe('restriction enforcement recovery, lanes one at a time', () => {
  let stack: KalmaStack;
  let agencyId: string;

  beforeAll(async () => {
    stack = await startKalmaStack({
      apiCount: 1,
      workerCount: 1,
      env: { SWEEP_INTERVAL_SECONDS: '1', ENFORCEMENT_PARALLEL_MAX_BOOKINGS: '1000' },
    });
    agencyId = (await stack.operations.createAgencyWithAgentKey()).agencyId;
    await waitForEnforcingWorker(stack.operations);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('the second lane waits for the first; a worker SIGKILLed in the first lane and restarted cancels every booking exactly once', async () => {
    const count = 8000;
    const prefix = 'SEQ';
    await seedBookings(stack.database.pool, {
      agencyId,
      checkIn: dateFromToday(3),
      checkOut: dateFromToday(6),
      nationalities: ['CA'],
      count,
      referencePrefix: prefix,
    });
    /** Bookings of the seeded set (only the cancelled ones, if asked) in the lower and the upper lane. */
    const byLane = async (onlyCancelled: boolean): Promise<{ lower: number; upper: number }> =>
      (
        await stack.database.pool.query(
          `SELECT count(*) FILTER (WHERE id < $2)::int AS lower, count(*) FILTER (WHERE id >= $2)::int AS upper
             FROM bookings WHERE reference LIKE $1 AND (NOT $3 OR status = 'cancelled')`,
          [`${prefix}-%`, UPPER_LANE_FROM, onlyCancelled],
        )
      ).rows[0];
    const blocker = await stack.database.pool.connect();
    try {
      // Blocks the lower lane in its second chunk. Were the lanes side by side, the upper one
      // would meanwhile run to its end.
      await blockLowerLaneSecondChunk(blocker, prefix);
      const created = await stack.operations.post('/v1/restrictions', {
        nationalities: ['CA'],
        effectiveFrom: instantFromNow(0),
        reason: 'One lane at a time',
      });
      expect(created.status).toBe(201);
      await waitForRestriction(
        stack.operations,
        created.body.id,
        (restriction) => restriction.enforcement.cancelledBookings >= ENFORCEMENT_CHUNK_SIZE,
      );
      // Time in which a parallel upper lane would have cancelled its first chunks (a few hundred ms each).
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(await byLane(true)).toEqual({ lower: ENFORCEMENT_CHUNK_SIZE, upper: 0 });

      await stack.workers[0].kill();
      await blocker.query('ROLLBACK');
      stack.startWorker();

      const done = await waitForRestriction(stack.operations, created.body.id, enforcementCompleted, 60_000);
      expect(done.enforcement).toMatchObject({ affectedBookings: count, cancelledBookings: count });
      expect(await byLane(true)).toEqual(await byLane(false));
      const { rows: notifications } = await stack.database.pool.query(
        `SELECT count(*)::int AS notifications, count(DISTINCT data->>'bookingId')::int AS bookings
           FROM notifications WHERE type = 'booking.cancelled' AND data->>'restrictionId' = $1`,
        [created.body.id],
      );
      expect(notifications[0]).toEqual({ notifications: count, bookings: count });
      expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }
  }, 120_000);
});
