import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { AuditService } from '#libs/audit';
import { GuestDataRetentionService, RETENTION_CHUNK_SIZE } from '#libs/bookings';
import { loadConfig } from '#libs/config';
import { buildDataSourceOptions } from '#libs/database';
import { unlinkKeysMatching } from '#libs/jobs';
import { NotificationsService } from '#libs/notifications';
import { Metrics } from '#libs/observability';
import { Clock, localDateOf } from '#libs/shared';
// White-box: the service is built by hand on the libraries' own repositories.
import { AuditRepository } from '../libs/audit/src/audit.repository';
import { BookingsRepository } from '../libs/bookings/src/bookings.repository';
import { NotificationsRepository } from '../libs/notifications/src/notifications.repository';
import { snapshotTables } from './support/database-snapshot';
import { dateFromToday, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { nightsOutOfBalance, seedBookings } from './support/restriction-helpers';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { waitFor } from './support/webhook-receiver';

const SWEEP_INTERVAL_SECONDS = 1;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Inserts `count` cancelled bookings straight into the table (cancelled bookings hold no nights). */
async function seedCancelledBookings(
  pool: Pool,
  options: { agencyId: string; checkIn: string; checkOut: string; cancelledAt: Date; count: number; referencePrefix: string },
): Promise<void> {
  const guests = [
    { fullName: 'Seeded Guest', nationality: 'RU', dateOfBirth: '1980-01-02', passportNumber: 'P1234567' },
    { fullName: 'Seeded Friend', nationality: 'GB' },
  ];
  await pool.query(
    `INSERT INTO bookings (reference, agency_id, status, check_in, check_out, guests, guest_count, nationalities, cancellation_reason, cancelled_at)
     SELECT $1 || '-' || n, $2, 'cancelled', $3, $4, $5::jsonb, 2, ARRAY['GB', 'RU'], 'operations', $6
       FROM generate_series(1, $7::int) AS n`,
    [
      options.referencePrefix,
      options.agencyId,
      options.checkIn,
      options.checkOut,
      JSON.stringify(guests),
      options.cancelledAt,
      options.count,
    ],
  );
}

async function anonymisedCounts(pool: Pool, referencePrefix: string): Promise<{ total: number; anonymised: number }> {
  const { rows } = await pool.query(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE anonymised_at IS NOT NULL)::int AS anonymised FROM bookings WHERE reference LIKE $1`,
    [`${referencePrefix}-%`],
  );
  return rows[0];
}

/** Guests left with a name, a date of birth or a passport number, over bookings that are anonymised (should be none). */
async function personalDataLeftInAnonymisedBookings(pool: Pool): Promise<number> {
  const { rows } = await pool.query(
    `SELECT count(*)::int AS count FROM bookings b, jsonb_array_elements(b.guests) g
      WHERE b.anonymised_at IS NOT NULL AND (g ? 'dateOfBirth' OR g ? 'passportNumber' OR g->>'fullName' IS NOT NULL)`,
  );
  return rows[0].count;
}

/**
 * Guest data retention (PRODUCT.md "Guest data"), with the real worker: guests anonymised
 * GUEST_DATA_RETENTION_DAYS after check-out or cancellation (0 here: at the next sweep), stored
 * Idempotency-Key answers deleted after IDEMPOTENCY_RETENTION_HOURS, counts and nationalities kept.
 */
describe('guest data retention (worker, GUEST_DATA_RETENTION_DAYS=0)', () => {
  let stack: KalmaStack;
  let agent: KalmaClient;
  let agencyId: string;

  beforeAll(async () => {
    stack = await startKalmaStack({
      apiCount: 1,
      workerCount: 1,
      env: { GUEST_DATA_RETENTION_DAYS: '0', SWEEP_INTERVAL_SECONDS: String(SWEEP_INTERVAL_SECONDS) },
    });
    const agency = await stack.operations.createAgencyWithAgentKey();
    agencyId = agency.agencyId;
    agent = new KalmaClient(stack.apis[0].baseUrl, agency.agentKey);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('anonymises a cancelled booking within one sweep and leaves a live future booking untouched', async () => {
    const guests = [
      { fullName: 'Ivan Petrov', nationality: 'RU', dateOfBirth: '1988-04-12', passportNumber: '751234567' },
      { fullName: 'Li Wei', nationality: 'CN', passportNumber: 'E12345678' },
      { fullName: 'Anna Petrova', nationality: 'RU' },
    ];
    const toCancel = await agent.createBooking({ checkIn: dateFromToday(30), checkOut: dateFromToday(33), guests });
    const live = await agent.createBooking({ checkIn: dateFromToday(30), checkOut: dateFromToday(33), guests });
    expect([toCancel.status, live.status]).toEqual([201, 201]);
    expect(toCancel.body.anonymisedAt).toBeNull();
    expect(toCancel.body.guests).toEqual(guests);

    const cancelled = await agent.post(`/v1/bookings/${toCancel.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    const cancelledAt = Date.now();
    const anonymised = await waitFor(
      () => agent.get(`/v1/bookings/${toCancel.body.id}`),
      (result) => result.body.anonymisedAt !== null,
      10_000,
    );
    // One sweep: the next run of the scheduler (every second), plus its own time.
    expect(Date.now() - cancelledAt).toBeLessThan(SWEEP_INTERVAL_SECONDS * 1000 + 4_000);
    expect(anonymised.body).toMatchObject({
      status: 'cancelled',
      guestCount: 3,
      nights: 3,
      guests: [
        { fullName: null, nationality: 'RU' },
        { fullName: null, nationality: 'CN' },
        { fullName: null, nationality: 'RU' },
      ],
    });
    expect(anonymised.body.guests.every((guest: object) => Object.keys(guest).sort().join() === 'fullName,nationality')).toBe(true);
    expect(Date.parse(anonymised.body.anonymisedAt)).toBeGreaterThanOrEqual(Date.parse(anonymised.body.cancellation.at));
    const { rows } = await stack.database.pool.query(`SELECT guests::text, guest_count, nationalities FROM bookings WHERE id = $1`, [
      toCancel.body.id,
    ]);
    expect(rows[0]).toEqual({
      guests: expect.not.stringMatching(/Ivan|Li Wei|Anna|1988|751234567|E12345678/),
      guest_count: 3,
      nationalities: ['CN', 'RU'],
    });

    const untouched = await agent.get(`/v1/bookings/${live.body.id}`);
    expect(untouched.body).toMatchObject({
      status: 'confirmed',
      anonymisedAt: null,
      guests,
      guestCount: 3,
      updatedAt: live.body.updatedAt,
    });

    // Lists show the same counts.
    const list = await agent.get('/v1/bookings?limit=10');
    const listed = new Map(list.body.data.map((booking: any) => [booking.id, booking]));
    expect(listed.get(toCancel.body.id)).toMatchObject({ guestCount: 3, anonymisedAt: anonymised.body.anonymisedAt });
    expect(listed.get(live.body.id)).toMatchObject({ guestCount: 3, anonymisedAt: null });
    expect(await personalDataLeftInAnonymisedBookings(stack.database.pool)).toBe(0);

    // The booking's history ends with its anonymisation, by the system, for retention; the audit
    // trail never held the names, dates of birth or passport numbers it erased.
    const history = await agent.get(`/v1/bookings/${toCancel.body.id}/history`);
    expect(history.body.data.map((event: any) => event.action)).toEqual(['booking.created', 'booking.cancelled', 'booking.anonymised']);
    expect(history.body.data[2]).toMatchObject({
      actor: { type: 'system' },
      cause: { type: 'retention' },
      requestId: null,
      changes: { anonymisedAt: { from: null, to: anonymised.body.anonymisedAt }, guestsWithPersonalData: { from: 3, to: 0 } },
    });
    const { rows: audit } = await stack.database.pool.query(
      `SELECT count(*)::int AS leaks FROM audit_events e WHERE e::text ~ 'Ivan|Li Wei|Anna|1988-04-12|751234567|E12345678'`,
    );
    expect(audit[0].leaks).toBe(0);
  });

  it('anonymises live bookings from the start of their check-out date in resort time, in chunks, and keeps the nights counted', async () => {
    // Checked out days ago, checking out today (its check-out instant, the start of today in
    // resort time, has passed), and still staying (check-out tomorrow).
    const pastCount = 2 * RETENTION_CHUNK_SIZE + 500;
    await seedBookings(stack.database.pool, {
      agencyId,
      checkIn: dateFromToday(-5),
      checkOut: dateFromToday(-2),
      nationalities: ['RU', 'DE'],
      count: pastCount,
      referencePrefix: 'PAST',
    });
    await seedBookings(stack.database.pool, {
      agencyId,
      checkIn: dateFromToday(-3),
      checkOut: dateFromToday(0),
      nationalities: ['RU'],
      count: 1,
      referencePrefix: 'TODAY',
    });
    await seedBookings(stack.database.pool, {
      agencyId,
      checkIn: dateFromToday(-1),
      checkOut: dateFromToday(1),
      nationalities: ['RU'],
      count: 1,
      referencePrefix: 'STAYING',
    });
    const calendarBefore = await agent.get(`/v1/capacity?from=${dateFromToday(-5)}&to=${dateFromToday(2)}`);
    expect(calendarBefore.status).toBe(200);

    const done = await waitFor(
      () => anonymisedCounts(stack.database.pool, 'PAST'),
      (counts) => counts.anonymised === pastCount,
      20_000,
    );
    expect(done).toEqual({ total: pastCount, anonymised: pastCount });
    expect(
      await waitFor(
        () => anonymisedCounts(stack.database.pool, 'TODAY'),
        (counts) => counts.anonymised === 1,
        5_000,
      ),
    ).toEqual({ total: 1, anonymised: 1 });
    // A few more sweeps: still untouched.
    await new Promise((resolve) => setTimeout(resolve, 3 * SWEEP_INTERVAL_SECONDS * 1000));
    expect(await anonymisedCounts(stack.database.pool, 'STAYING')).toEqual({ total: 1, anonymised: 0 });

    const { rows } = await stack.database.pool.query(
      `SELECT DISTINCT guests::text AS guests, guest_count, nationalities, status FROM bookings WHERE reference LIKE 'PAST-%'`,
    );
    expect(rows).toEqual([
      {
        guests: '[{"fullName": null, "nationality": "RU"}, {"fullName": null, "nationality": "DE"}]',
        guest_count: 2,
        nationalities: ['DE', 'RU'],
        status: 'confirmed',
      },
    ]);
    const calendarAfter = await agent.get(`/v1/capacity?from=${dateFromToday(-5)}&to=${dateFromToday(2)}`);
    expect(calendarAfter.body).toEqual(calendarBefore.body);
    expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
    expect(await personalDataLeftInAnonymisedBookings(stack.database.pool)).toBe(0);
  }, 60_000);

  it('deletes stored Idempotency-Key answers older than IDEMPOTENCY_RETENTION_HOURS (48) and keeps newer ones', async () => {
    const body = JSON.stringify({ guests: [{ fullName: 'Stored Guest', nationality: 'RU' }] });
    const ages = { old: 49, older: 24 * 30, recent: 47, fresh: 0 };
    for (const [name, hours] of Object.entries(ages)) {
      await stack.database.pool.query(
        `INSERT INTO idempotency_keys (agency_id, key, request_hash, response_status, response_body, created_at)
         VALUES ($1, $2, 'hash', 201, $3::json, now() - make_interval(hours => $4))`,
        [agencyId, `retention-${name}`, body, hours],
      );
    }
    const keys = async (): Promise<string[]> =>
      (await stack.database.pool.query(`SELECT key FROM idempotency_keys WHERE key LIKE 'retention-%' ORDER BY key`)).rows.map(
        (row) => row.key,
      );
    expect(await waitFor(keys, (left) => left.length === 2, 10_000)).toEqual(['retention-fresh', 'retention-recent']);
  });

  it('a ban preview counts anonymised bookings exactly as before (nationalities and guest counts kept)', async () => {
    // Live bookings are never anonymised before their check-out, and a preview only sees stays that
    // have not started: so these are anonymised directly, with the job's own statement.
    const prefix = `PREVIEW${randomUUID().slice(0, 4)}`;
    await seedBookings(stack.database.pool, {
      agencyId,
      checkIn: dateFromToday(60),
      checkOut: dateFromToday(62),
      nationalities: ['FR', 'FR', 'IT'],
      count: 3,
      referencePrefix: `${prefix}MIXED`,
    });
    await seedBookings(stack.database.pool, {
      agencyId,
      checkIn: dateFromToday(60),
      checkOut: dateFromToday(62),
      nationalities: ['FR'],
      count: 2,
      referencePrefix: `${prefix}FR`,
    });
    const previews = async (): Promise<unknown[]> =>
      Promise.all(
        [{ nationalities: ['FR'] }, { nationalities: ['IT'] }, { allForeign: true, except: ['FR'] }].map(async (coverage) => {
          const preview = await stack.operations.post('/v1/restrictions/preview', {
            ...coverage,
            effectiveFrom: new Date().toISOString(),
            reason: 'Preview check',
          });
          expect(preview.status).toBe(200);
          return preview.body;
        }),
      );
    const before = await previews();
    expect(before[0]).toMatchObject({ affectedBookings: 5, affectedGuests: 11, coveredGuests: 8 });

    const dataSource = await new DataSource(
      buildDataSourceOptions({ url: stack.database.url, poolSize: 2, applicationName: 'retention-test' }),
    ).initialize();
    try {
      const { rows } = await stack.database.pool.query(`SELECT id FROM bookings WHERE reference LIKE $1`, [`${prefix}%`]);
      const anonymised = await dataSource.transaction((manager) =>
        new BookingsRepository(dataSource).anonymiseGuests(
          manager,
          rows.map((row) => row.id),
        ),
      );
      expect(anonymised).toHaveLength(5);
    } finally {
      await dataSource.destroy();
    }
    expect(await previews()).toEqual(before);
  });

  it('the retention job comes back after a flush of Redis (the worker re-declares its scheduler)', async () => {
    const redis = new Redis(stack.env.REDIS_URL);
    const maintenance = new Queue('maintenance', { connection: { url: stack.env.REDIS_URL }, prefix: stack.env.QUEUE_PREFIX });
    try {
      expect(await maintenance.getJobScheduler('apply-data-retention')).toBeDefined();
      await unlinkKeysMatching(redis, `${stack.env.QUEUE_PREFIX}:*`);
      expect(await maintenance.getJobScheduler('apply-data-retention')).toBeUndefined();
    } finally {
      redis.disconnect();
      await maintenance.close();
    }
    await seedCancelledBookings(stack.database.pool, {
      agencyId,
      checkIn: dateFromToday(10),
      checkOut: dateFromToday(12),
      cancelledAt: new Date(),
      count: 3,
      referencePrefix: 'FLUSHED',
    });
    // Re-declared within 30 s (the worker's re-arm interval), then the next sweep anonymises them.
    const done = await waitFor(
      () => anonymisedCounts(stack.database.pool, 'FLUSHED'),
      (counts) => counts.anonymised === 3,
      45_000,
    );
    expect(done).toEqual({ total: 3, anonymised: 3 });
  }, 60_000);
});

/**
 * The retention service in process, on a database of its own (no worker), with a clock it sets:
 * which bookings are due at the default 90 days, and that a run repeated changes nothing.
 */
describe('GuestDataRetentionService (database, GUEST_DATA_RETENTION_DAYS=90)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let service: GuestDataRetentionService;
  let agencyId: string;
  const now = new Date();
  const timeZone = 'Asia/Pyongyang';

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(
      buildDataSourceOptions({ url: database.url, poolSize: 2, applicationName: 'retention-test' }),
    ).initialize();
    const config = loadConfig({ DATABASE_URL: database.url });
    const clock = new Clock();
    clock.now = () => now;
    service = new GuestDataRetentionService(
      dataSource,
      new BookingsRepository(dataSource),
      new NotificationsService(new NotificationsRepository(dataSource)),
      config,
      new Metrics(),
      clock,
      new AuditService(new AuditRepository(dataSource)),
    );
    const { rows } = await database.pool.query(
      `INSERT INTO agencies (name, webhook_secret) VALUES ('Retention', 'whsec_test') RETURNING id`,
    );
    agencyId = rows[0].id;
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.close();
  });

  it('anonymises 90 days after check-out or cancellation, whichever is first, once', async () => {
    const cutoffDate = localDateOf(new Date(now.getTime() - 90 * DAY_MS), timeZone);
    const dayAfter = (date: string, days: number): string =>
      new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
    // Checked out: on the cutoff date (due: the start of that date is at least 90 days ago), the day after (not yet).
    await seedBookings(database.pool, {
      agencyId,
      checkIn: dayAfter(cutoffDate, -3),
      checkOut: cutoffDate,
      nationalities: ['RU'],
      count: 2,
      referencePrefix: 'OUT-DUE',
    });
    await seedBookings(database.pool, {
      agencyId,
      checkIn: dayAfter(cutoffDate, -3),
      checkOut: dayAfter(cutoffDate, 1),
      nationalities: ['RU'],
      count: 2,
      referencePrefix: 'OUT-KEPT',
    });
    // Cancelled: 90 days and a minute ago (due), 89 days ago (not yet), both for stays far ahead.
    const stay = { checkIn: dayAfter(cutoffDate, 200), checkOut: dayAfter(cutoffDate, 203) };
    await seedCancelledBookings(database.pool, {
      agencyId,
      ...stay,
      cancelledAt: new Date(now.getTime() - 90 * DAY_MS - 60_000),
      count: RETENTION_CHUNK_SIZE + 1,
      referencePrefix: 'CANCELLED-DUE',
    });
    await seedCancelledBookings(database.pool, {
      agencyId,
      ...stay,
      cancelledAt: new Date(now.getTime() - 89 * DAY_MS),
      count: 2,
      referencePrefix: 'CANCELLED-KEPT',
    });
    // Cancelled recently, but checked out long ago: check-out came first.
    await seedCancelledBookings(database.pool, {
      agencyId,
      checkIn: dayAfter(cutoffDate, -10),
      checkOut: dayAfter(cutoffDate, -8),
      cancelledAt: now,
      count: 1,
      referencePrefix: 'CHECKED-OUT-FIRST',
    });
    await database.pool.query(
      `INSERT INTO idempotency_keys (agency_id, key, request_hash, created_at)
       SELECT $1, 'key-' || n, 'hash', now() - make_interval(hours => CASE WHEN n <= 3 THEN 49 ELSE 47 END) FROM generate_series(1, 5) AS n`,
      [agencyId],
    );

    // Guests a restriction removed from a booking are named in its notification: erased with the booking's, not before.
    const removedGuestsNotification = `INSERT INTO notifications (agency_id, type, data, dedupe_key)
      SELECT agency_id, 'booking.guests_removed',
             jsonb_build_object('bookingId', id, 'reference', reference, 'removedGuests', jsonb_build_array(jsonb_build_object('fullName', 'Removed Traveller', 'nationality', 'GB'))),
             'removed:' || id FROM bookings WHERE reference LIKE $1`;
    await database.pool.query(removedGuestsNotification, ['OUT-DUE-%']);
    await database.pool.query(removedGuestsNotification, ['OUT-KEPT-%']);

    expect(await service.applyRetention()).toEqual({ anonymisedBookings: 2 + RETENTION_CHUNK_SIZE + 1 + 1, deletedIdempotencyRecords: 3 });
    const { rows: named } = await database.pool.query(
      `SELECT b.reference LIKE 'OUT-DUE-%' AS due, n.data->'removedGuests' AS "removedGuests" FROM notifications n JOIN bookings b ON b.id::text = n.data->>'bookingId' ORDER BY 1`,
    );
    expect(named).toEqual([
      { due: false, removedGuests: [{ fullName: 'Removed Traveller', nationality: 'GB' }] },
      { due: false, removedGuests: [{ fullName: 'Removed Traveller', nationality: 'GB' }] },
      { due: true, removedGuests: [{ fullName: null, nationality: 'GB' }] },
      { due: true, removedGuests: [{ fullName: null, nationality: 'GB' }] },
    ]);
    const expected = {
      'OUT-DUE': 2,
      'OUT-KEPT': 0,
      'CANCELLED-DUE': RETENTION_CHUNK_SIZE + 1,
      'CANCELLED-KEPT': 0,
      'CHECKED-OUT-FIRST': 1,
    };
    const actual: Record<string, number> = {};
    for (const prefix of Object.keys(expected)) actual[prefix] = (await anonymisedCounts(database.pool, prefix)).anonymised;
    expect(actual).toEqual(expected);
    expect(await personalDataLeftInAnonymisedBookings(database.pool)).toBe(0);
    const { rows: kept } = await database.pool.query(
      `SELECT DISTINCT guests->0->>'passportNumber' AS passport FROM bookings WHERE reference LIKE 'CANCELLED-KEPT-%'`,
    );
    expect(kept).toEqual([{ passport: 'P1234567' }]);

    // Again: nothing is due any more, and not a row changes.
    const snapshot = await snapshotTables(database.pool);
    expect(await service.applyRetention()).toEqual({ anonymisedBookings: 0, deletedIdempotencyRecords: 0 });
    expect(await snapshotTables(database.pool)).toEqual(snapshot);
  });
});
