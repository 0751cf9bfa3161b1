import { randomUUID } from 'node:crypto';
import { AgenciesService, ApiKeysService, Principal } from '#libs/access';
import { BookingRow, BookingsModule, BookingsService, CreateBookingOutcome } from '#libs/bookings';
import { CapacityService } from '#libs/capacity';
import { jobIds, JobQueue, QUEUES } from '#libs/jobs';
import { brokenInvariants } from '../support/database-snapshot';
import { dateFromToday, guest } from '../support/kalma-client';
import { IntegrationModule, operationsOrigin, startIntegrationModule } from '../support/integration-module';

/** The booking a create made; fails the test when the outcome is a refusal or a replay. */
function createdBooking(outcome: CreateBookingOutcome): BookingRow {
  if (outcome.kind !== 'created') throw new Error(`expected a new booking, got ${outcome.kind}`);
  return outcome.booking;
}

/**
 * BookingsService and its admission batcher on the real PostgreSQL and the real queues: a
 * booking, its nights' counters and its audit event commit together, or nothing does.
 */
describe('booking admission (integration)', () => {
  let kalma: IntegrationModule;
  let bookings: BookingsService;
  let agent: Principal;

  beforeAll(async () => {
    kalma = await startIntegrationModule([BookingsModule]);
    bookings = kalma.get(BookingsService);
    const agency = await kalma.get(AgenciesService).create({ name: 'Integration Travel' }, operationsOrigin());
    const key = await kalma.get(ApiKeysService).issue(agency.id, 'agent', null, operationsOrigin());
    agent = { keyId: key.id, role: 'agent', agencyId: agency.id };
  });

  afterAll(async () => {
    await kalma?.close();
  });

  const origin = () => ({
    actor: { type: 'api_key' as const, keyId: agent.keyId, role: 'agent', agencyId: agent.agencyId },
    cause: { type: 'request' as const },
    requestId: randomUUID(),
  });
  const nights = async (from: string, to: string) =>
    (await kalma.database.pool.query(`SELECT date, reserved, held FROM nights WHERE date >= $1 AND date < $2 ORDER BY date`, [from, to]))
      .rows;
  const countOf = async (sql: string, parameters: unknown[] = []): Promise<number> =>
    (await kalma.database.pool.query(sql, parameters)).rows[0].n;

  it('creates a confirmed booking, its nights and its audit event in one transaction', async () => {
    const checkIn = dateFromToday(60);
    const checkOut = dateFromToday(63);
    const created = await bookings.create(agent, { checkIn, checkOut, guests: [guest('RU'), guest('CN')] }, undefined, origin());
    const booking = createdBooking(created);
    expect(booking).toMatchObject({ status: 'confirmed', guestCount: 2 });

    const { rows } = await kalma.database.pool.query(
      `SELECT status, guest_count AS "guestCount", nationalities, xmin::text AS transaction FROM bookings WHERE id = $1`,
      [booking.id],
    );
    expect(rows).toEqual([{ status: 'confirmed', guestCount: 2, nationalities: ['CN', 'RU'], transaction: expect.any(String) }]);
    expect(await nights(checkIn, checkOut)).toEqual([
      { date: checkIn, reserved: 2, held: 0 },
      { date: dateFromToday(61), reserved: 2, held: 0 },
      { date: dateFromToday(62), reserved: 2, held: 0 },
    ]);
    // The audit event was written by the same transaction as the booking row.
    const events = await kalma.database.pool.query(
      `SELECT action, xmin::text AS transaction FROM audit_events WHERE entity_type = 'booking' AND entity_id = $1`,
      [booking.id],
    );
    expect(events.rows).toEqual([{ action: 'booking.created', transaction: rows[0].transaction }]);
    expect(await brokenInvariants(kalma.database.pool)).toEqual([]);
  });

  it('holds capacity and schedules the hold’s expiry on the real bookings queue', async () => {
    const checkIn = dateFromToday(70);
    const created = await bookings.create(
      agent,
      { checkIn, checkOut: dateFromToday(71), guests: [guest('KP')], hold: true },
      undefined,
      origin(),
    );
    const booking = createdBooking(created);
    expect(booking.status).toBe('held');
    expect(await nights(checkIn, dateFromToday(71))).toEqual([{ date: checkIn, reserved: 1, held: 1 }]);

    const job = await kalma.get(JobQueue).queue(QUEUES.bookings).getJob(jobIds.expireHold(booking.id));
    expect(job?.name).toBe('expire-hold');
    expect(job?.data).toEqual({ bookingId: booking.id });
    expect(await job?.getState()).toBe('delayed');
    // Due when the hold expires (give or take the time the request took).
    expect(Math.abs((job?.timestamp ?? 0) + (job?.opts.delay ?? 0) - (booking.holdExpiresAt?.getTime() ?? 0))).toBeLessThan(2_000);
  });

  it('refuses a booking beyond a night’s capacity and writes nothing at all', async () => {
    const checkIn = dateFromToday(80);
    await kalma.get(CapacityService).setCapacity(dateFromToday(81), 1, operationsOrigin());
    const before = await countOf(`SELECT count(*)::int AS n FROM audit_events`);
    const bookingsBefore = await countOf(`SELECT count(*)::int AS n FROM bookings`);

    await expect(
      bookings.create(agent, { checkIn, checkOut: dateFromToday(82), guests: [guest('RU'), guest('RU')] }, undefined, origin()),
    ).rejects.toMatchObject({ code: 'capacity_exhausted' });
    expect(await countOf(`SELECT count(*)::int AS n FROM bookings`)).toBe(bookingsBefore);
    expect(await countOf(`SELECT count(*)::int AS n FROM audit_events`)).toBe(before);
    expect((await nights(checkIn, dateFromToday(82))).map((night) => night.reserved)).toEqual([0, 0]);
  });

  it('admits concurrent requests for the last places up to the capacity exactly, in batches', async () => {
    const checkIn = dateFromToday(90);
    const checkOut = dateFromToday(92);
    await kalma.get(CapacityService).setCapacity(dateFromToday(91), 5, operationsOrigin());
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, () => bookings.create(agent, { checkIn, checkOut, guests: [guest('DE')] }, undefined, origin())),
    );
    const created = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const refused = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(created).toHaveLength(5);
    expect(refused.map((outcome) => outcome.reason.code)).toEqual(Array(7).fill('capacity_exhausted'));
    expect((await nights(checkIn, checkOut)).map((night) => night.reserved)).toEqual([5, 5]);
    expect(await countOf(`SELECT count(*)::int AS n FROM bookings WHERE check_in = $1`, [checkIn])).toBe(5);
    expect(await brokenInvariants(kalma.database.pool)).toEqual([]);
  });

  it('answers a retried Idempotency-Key with the first booking, never a second one', async () => {
    const body = { checkIn: dateFromToday(100), checkOut: dateFromToday(101), guests: [guest('FR')] };
    const key = `integration-${randomUUID()}`;
    const first = await bookings.create(agent, body, key, origin());
    const again = await bookings.create(agent, body, key, origin());
    // The retry is answered with the first answer as stored: the same booking, as 201.
    expect(again).toEqual({ kind: 'replayed', answer: { status: 201, body: expect.objectContaining({ id: createdBooking(first).id }) } });
    expect(await countOf(`SELECT count(*)::int AS n FROM bookings WHERE check_in = $1`, [body.checkIn])).toBe(1);
  });
});
