import { RESTRICTIONS_ADVISORY_LOCK } from '#libs/restrictions';
import { dateFromToday, guest, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { freePort } from './support/service-processes';
import {
  enforcementCompleted,
  instantFromNow,
  nightsOutOfBalance,
  seedBookings,
  waitForEnforcingWorker,
  waitForRestriction,
} from './support/restriction-helpers';

/** The resort-local midnight starting `days` from today: as effectiveUntil, the window ends before that date. */
const midnightIn = (days: number): string => `${dateFromToday(days)}T00:00:00+09:00`;

/** Nationality restrictions through the public API, enforced by a real worker process. */
describe('nationality restrictions', () => {
  let stack: KalmaStack;
  let operations: KalmaClient;
  let agencyId: string;
  let agent: KalmaClient;
  let workerMetricsPort: number;

  beforeAll(async () => {
    workerMetricsPort = await freePort();
    stack = await startKalmaStack({ apiCount: 1, workerCount: 1, env: { WORKER_METRICS_PORT: String(workerMetricsPort) } });
    operations = stack.operations;
    const agency = await operations.createAgencyWithAgentKey();
    agencyId = agency.agencyId;
    agent = operations.as(agency.agentKey);
    await waitForEnforcingWorker(operations);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  // Every test starts from no restriction in force and no live booking, so that a ban's window
  // (which always starts today for a ban in effect) sees only the test's own bookings.
  afterEach(async () => {
    await stack.database.pool.query(`UPDATE restrictions SET lifted_at = now() WHERE lifted_at IS NULL`);
    await stack.database.pool.query(
      `UPDATE bookings SET status = 'cancelled', cancellation_reason = 'operations', cancelled_at = now() WHERE status IN ('held', 'confirmed')`,
    );
    await stack.database.pool.query(`UPDATE nights SET reserved = 0, held = 0`);
  });

  async function book(nationalities: string[], checkInDays: number, nights = 2, client = agent): Promise<any> {
    const response = await client.createBooking({
      checkIn: dateFromToday(checkInDays),
      checkOut: dateFromToday(checkInDays + nights),
      guests: nationalities.map((nationality, index) => guest(nationality, `Guest ${index}`)),
    });
    return response;
  }

  async function bookOrFail(nationalities: string[], checkInDays: number, nights = 2, client = agent): Promise<any> {
    const response = await book(nationalities, checkInDays, nights, client);
    if (response.status !== 201) throw new Error(`booking failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  async function statusOf(bookingId: string): Promise<{ status: string; cancellation: any }> {
    const response = await operations.get(`/v1/bookings/${bookingId}`);
    return { status: response.body.status, cancellation: response.body.cancellation };
  }

  it('refuses bad input with validation_failed naming the field, and only operations may apply, preview or lift', async () => {
    const valid = { nationalities: ['US'], effectiveFrom: instantFromNow(3600), reason: 'Policy change' };
    const cases: [unknown, string][] = [
      [{ ...valid, allForeign: true }, 'nationalities'],
      [{ effectiveFrom: valid.effectiveFrom, reason: 'x' }, 'nationalities'],
      [{ ...valid, except: ['RU'] }, 'except'],
      [{ ...valid, nationalities: ['us'] }, 'nationalities'],
      [{ ...valid, nationalities: ['XX'] }, 'nationalities'],
      [{ ...valid, nationalities: [] }, 'nationalities'],
      [{ allForeign: true, except: ['R1'], effectiveFrom: valid.effectiveFrom, reason: 'x' }, 'except'],
      [{ ...valid, effectiveFrom: '2027-07-01T09:00:00' }, 'effectiveFrom'],
      [{ ...valid, effectiveFrom: '2027-02-30T09:00:00Z' }, 'effectiveFrom'],
      [{ ...valid, effectiveUntil: instantFromNow(1800) }, 'effectiveUntil'],
      [{ ...valid, effectiveFrom: instantFromNow(-7200), effectiveUntil: instantFromNow(-3600) }, 'effectiveUntil'],
      [{ ...valid, reason: '   ' }, 'reason'],
      [{ nationalities: ['US'], effectiveFrom: valid.effectiveFrom }, 'reason'],
      [{ ...valid, color: 'red' }, 'color'],
    ];
    const countRestrictions = async (): Promise<number> =>
      (await stack.database.pool.query(`SELECT count(*)::int AS count FROM restrictions`)).rows[0].count;
    const before = await countRestrictions();
    for (const [body, field] of cases) {
      for (const path of ['/v1/restrictions', '/v1/restrictions/preview']) {
        const response = await operations.post(path, body);
        expect({ body, path, status: response.status, code: response.body.code }).toEqual({
          body,
          path,
          status: 400,
          code: 'validation_failed',
        });
        expect({ body, fields: response.body.errors.map((error: { field: string }) => error.field) }).toEqual({
          body,
          fields: expect.arrayContaining([field]),
        });
      }
    }
    expect((await agent.post('/v1/restrictions', valid)).status).toBe(403);
    expect((await agent.post('/v1/restrictions/preview', valid)).status).toBe(403);
    expect(await countRestrictions()).toBe(before);

    const openApi = await operations.get('/docs-json');
    expect(Object.keys(openApi.body.paths)).toEqual(
      expect.arrayContaining(['/v1/restrictions', '/v1/restrictions/preview', '/v1/restrictions/{id}', '/v1/restrictions/{id}/lift']),
    );
    expect(Object.keys(openApi.body.components.schemas)).toEqual(
      expect.arrayContaining(['CreateRestrictionDto', 'RestrictionDto', 'RestrictionPreviewDto']),
    );
  });

  it('applied at once: cancels live covered bookings checking in within the window, notifies, releases capacity, refuses new ones', async () => {
    // A stay that began yesterday (check-in before the window) cannot be booked through the API any more.
    await seedBookings(stack.database.pool, {
      agencyId,
      checkIn: dateFromToday(-1),
      checkOut: dateFromToday(3),
      nationalities: ['US'],
      count: 1,
      referencePrefix: 'INPROGRESS',
    });
    const usEarly = await bookOrFail(['US'], 5);
    const mixedLate = await bookOrFail(['RU', 'US'], 19, 3);
    const usAfterWindow = await bookOrFail(['US'], 20);
    const russian = await bookOrFail(['RU', 'KP'], 5);

    const created = await operations.post('/v1/restrictions', {
      nationalities: ['US'],
      effectiveFrom: new Date().toISOString(),
      effectiveUntil: midnightIn(20),
      reason: 'Suspension of tourist visas',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'active',
      nationalities: ['US'],
      allForeign: false,
      except: [],
      window: { from: dateFromToday(0), to: dateFromToday(20) },
      reason: 'Suspension of tourist visas',
    });
    expect(created.body.appliedByKeyId).toEqual(expect.any(String));
    const restrictionId = created.body.id;

    const refused = await book(['RU', 'US'], 6);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'nationality_restricted', restrictionId, nationalities: ['US'] });

    const done = await waitForRestriction(operations, restrictionId, enforcementCompleted);
    expect(done.enforcement).toMatchObject({ state: 'completed', affectedBookings: 2, cancelledBookings: 2 });
    expect(new Date(done.enforcement.completedAt).getTime()).toBeGreaterThanOrEqual(new Date(done.enforcement.startedAt).getTime());

    for (const booking of [usEarly, mixedLate]) {
      expect(await statusOf(booking.id)).toEqual({
        status: 'cancelled',
        cancellation: { reason: 'restriction', restrictionId, at: expect.any(String) },
      });
    }
    for (const booking of [usAfterWindow, russian]) expect((await statusOf(booking.id)).status).toBe('confirmed');
    const { rows: inProgress } = await stack.database.pool.query(`SELECT status FROM bookings WHERE reference = 'INPROGRESS-1'`);
    expect(inProgress[0].status).toBe('confirmed');

    const inbox = await agent.get('/v1/notifications');
    const cancellations = inbox.body.data.filter((notification: any) => notification.data.restrictionId === restrictionId);
    expect(cancellations.map((notification: any) => notification.data.bookingId).sort()).toEqual([usEarly.id, mixedLate.id].sort());
    for (const notification of cancellations) expect(notification.type).toBe('booking.cancelled');
    // Every member, exactly: a ban's notifications are written by PostgreSQL, every other cancellation's by the service.
    const usEarlyNotice = cancellations.find((notification: any) => notification.data.bookingId === usEarly.id);
    expect(usEarlyNotice.data).toEqual({
      bookingId: usEarly.id,
      reference: usEarly.reference,
      reason: 'restriction',
      restrictionId,
      checkIn: usEarly.checkIn,
      checkOut: usEarly.checkOut,
    });
    expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);

    const metrics = await (await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`)).text();
    expect(Number(/^kalma_restriction_enforcement_cancellations_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(/^kalma_restriction_enforcement_duration_seconds_count (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/^kalma_restriction_enforcement_lag_seconds_count (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);

    // A booking outside the window, or with no covered guest, is still accepted.
    expect((await book(['US'], 20)).status).toBe(201);
    expect((await book(['RU'], 6)).status).toBe(201);
  });

  it("applied at once to a held booking: cancels it, gives back its held guests and its agency's hold counter, and audits it as held", async () => {
    const held = await agent.createBooking({
      checkIn: dateFromToday(7),
      checkOut: dateFromToday(9),
      guests: [guest('US', 'Held One'), guest('RU', 'Held Two')],
      hold: true,
    });
    expect(held.status).toBe(201);
    const confirmed = await bookOrFail(['US'], 7);
    const heldGuests = async () =>
      (await stack.database.pool.query(`SELECT held_guests FROM agency_held_guests WHERE agency_id = $1`, [agencyId])).rows[0]
        ?.held_guests ?? 0;
    expect(await heldGuests()).toBe(2);

    const created = await operations.post('/v1/restrictions', {
      nationalities: ['US'],
      effectiveFrom: new Date().toISOString(),
      effectiveUntil: midnightIn(10),
      reason: 'held bookings too',
    });
    const done = await waitForRestriction(operations, created.body.id, enforcementCompleted);
    expect(done.enforcement).toMatchObject({ affectedBookings: 2, cancelledBookings: 2 });

    expect((await agent.get(`/v1/bookings/${held.body.id}`)).body).toMatchObject({
      status: 'cancelled',
      cancellation: { reason: 'restriction', restrictionId: created.body.id },
    });
    const { rows: nights } = await stack.database.pool.query(
      `SELECT to_char(date, 'YYYY-MM-DD') AS date, reserved, held FROM nights WHERE date IN ($1, $2) ORDER BY date`,
      [dateFromToday(7), dateFromToday(8)],
    );
    expect(nights).toEqual([
      { date: dateFromToday(7), reserved: 0, held: 0 },
      { date: dateFromToday(8), reserved: 0, held: 0 },
    ]);
    expect(await heldGuests()).toBe(0);
    const history = await operations.get(`/v1/audit-events?causeId=${created.body.id}&entityType=booking`);
    const statusFrom = Object.fromEntries(history.body.data.map((event: any) => [event.entityId, event.changes.status.from]));
    expect(statusFrom).toEqual({ [held.body.id]: 'held', [confirmed.id]: 'confirmed' });
    expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
  });

  it('scheduled a few seconds ahead: refuses new bookings at once, cancels nothing before effectiveFrom, enforces within about a second of it', async () => {
    const existing = await bookOrFail(['GB'], 3);
    const effectiveFrom = instantFromNow(4);
    const created = await operations.post('/v1/restrictions', {
      nationalities: ['GB', 'IE'],
      effectiveFrom,
      effectiveUntil: midnightIn(30),
      reason: 'Scheduled',
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('scheduled');
    expect(created.body.enforcement).toEqual({
      state: 'pending',
      affectedBookings: 0,
      cancelledBookings: 0,
      reducedBookings: 0,
      startedAt: null,
      completedAt: null,
    });

    const refused = await book(['IE'], 10);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'nationality_restricted', restrictionId: created.body.id, nationalities: ['IE'] });

    await new Promise((resolve) => setTimeout(resolve, Math.max(new Date(effectiveFrom).getTime() - Date.now() - 1000, 0)));
    expect((await statusOf(existing.id)).status).toBe('confirmed');
    expect((await operations.get(`/v1/restrictions/${created.body.id}`)).body.enforcement.state).toBe('pending');

    const done = await waitForRestriction(operations, created.body.id, enforcementCompleted, 10_000);
    expect(done.status).toBe('active');
    expect(done.enforcement).toMatchObject({ affectedBookings: 1, cancelledBookings: 1 });
    expect(new Date(done.enforcement.startedAt).getTime() - new Date(effectiveFrom).getTime()).toBeLessThan(1500);
    // The trigger fires a little early and waits: nothing starts, or is cancelled, before effectiveFrom.
    expect(new Date(done.enforcement.startedAt).getTime()).toBeGreaterThanOrEqual(new Date(effectiveFrom).getTime());
    const cancelled = await statusOf(existing.id);
    expect(cancelled.status).toBe('cancelled');
    expect(new Date(cancelled.cancellation.at).getTime()).toBeGreaterThanOrEqual(new Date(effectiveFrom).getTime());
  });

  it('all foreigners except some: preview counts exactly what enforcement then cancels, and changes nothing', async () => {
    const other = await operations.createAgencyWithAgentKey();
    const otherAgent = operations.as(other.agentKey);
    const kept = [await bookOrFail(['RU'], 4), await bookOrFail(['KP'], 4), await bookOrFail(['RU', 'KP', 'KP'], 5)];
    const mixed = await bookOrFail(['RU', 'CN'], 6);
    const americans = await bookOrFail(['US', 'US', 'CA'], 7, 2, otherAgent);
    const body = {
      allForeign: true,
      except: ['RU'],
      effectiveFrom: new Date().toISOString(),
      effectiveUntil: midnightIn(40),
      reason: 'Only Russian groups',
    };

    const countRestrictions = async (): Promise<number> =>
      (await stack.database.pool.query(`SELECT count(*)::int AS count FROM restrictions`)).rows[0].count;
    const restrictionsBefore = await countRestrictions();
    const preview = await operations.post('/v1/restrictions/preview', body);
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({
      affectedBookings: 2,
      affectedGuests: 5,
      coveredGuests: 4,
      // Both agencies have the default policy, cancel_booking: the mixed party is cancelled whole.
      bookingsToCancel: 2,
      bookingsToReduce: 0,
      guestsToRemove: 0,
      byAgency: expect.arrayContaining([
        { agencyId, affectedBookings: 1, affectedGuests: 2, bookingsToCancel: 1, bookingsToReduce: 0, guestsToRemove: 0 },
        { agencyId: other.agencyId, affectedBookings: 1, affectedGuests: 3, bookingsToCancel: 1, bookingsToReduce: 0, guestsToRemove: 0 },
      ]),
    });
    expect(preview.body.byAgency).toHaveLength(2);
    expect(await countRestrictions()).toBe(restrictionsBefore);
    expect((await statusOf(mixed.id)).status).toBe('confirmed');

    const created = await operations.post('/v1/restrictions', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ allForeign: true, except: ['RU'], nationalities: null, homeCountry: 'KP' });
    const done = await waitForRestriction(operations, created.body.id, enforcementCompleted);
    expect(done.enforcement).toMatchObject({ affectedBookings: 2, cancelledBookings: 2, reducedBookings: 0 });
    for (const booking of kept) expect((await statusOf(booking.id)).status).toBe('confirmed');
    for (const booking of [mixed, americans]) expect((await statusOf(booking.id)).status).toBe('cancelled');

    expect((await book(['KP', 'RU'], 8)).status).toBe(201);
    const refused = await book(['RU', 'DE', 'CN'], 8);
    expect(refused.body).toMatchObject({ code: 'nationality_restricted', nationalities: ['CN', 'DE'] });
    const afterwards = await operations.post('/v1/restrictions/preview', body);
    expect(afterwards.body).toEqual({
      affectedBookings: 0,
      affectedGuests: 0,
      coveredGuests: 0,
      bookingsToCancel: 0,
      bookingsToReduce: 0,
      guestsToRemove: 0,
      byAgency: [],
    });
  });

  it('lifted before it takes effect: nothing is ever cancelled and bookings are accepted again', async () => {
    const existing = await bookOrFail(['CN'], 2);
    const effectiveFrom = instantFromNow(3);
    const created = await operations.post('/v1/restrictions', { nationalities: ['CN'], effectiveFrom, reason: 'Announced' });
    expect((await book(['CN'], 3)).status).toBe(422);

    const lifted = await operations.post(`/v1/restrictions/${created.body.id}/lift`);
    expect(lifted.status).toBe(200);
    // Its enforcement will never run: the lift ends it, in a terminal state that says nothing was cancelled.
    expect(lifted.body).toMatchObject({
      status: 'lifted',
      enforcement: { state: 'completed', cancelledBookings: 0, completedAt: expect.any(String) },
    });
    expect(lifted.body.liftedAt).toEqual(expect.any(String));
    const accepted = await bookOrFail(['CN'], 3);

    // Past effectiveFrom, with time for the (now pointless) trigger to fire.
    await new Promise((resolve) => setTimeout(resolve, Math.max(new Date(effectiveFrom).getTime() - Date.now(), 0) + 2000));
    for (const booking of [existing, accepted]) expect((await statusOf(booking.id)).status).toBe('confirmed');
    const after = await operations.get(`/v1/restrictions/${created.body.id}`);
    expect(after.body).toMatchObject({
      status: 'lifted',
      enforcement: { state: 'completed', cancelledBookings: 0, completedAt: lifted.body.enforcement.completedAt },
    });

    const again = await operations.post(`/v1/restrictions/${created.body.id}/lift`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_state');
  });

  it('lifted after it took effect: new bookings accepted again, cancelled ones stay cancelled; listed and filtered for any key', async () => {
    const existing = await bookOrFail(['FR'], 2);
    const created = await operations.post('/v1/restrictions', {
      nationalities: ['FR'],
      effectiveFrom: instantFromNow(-60),
      reason: 'Immediate',
    });
    await waitForRestriction(operations, created.body.id, enforcementCompleted);
    expect((await statusOf(existing.id)).status).toBe('cancelled');

    expect((await agent.post(`/v1/restrictions/${created.body.id}/lift`)).status).toBe(403);
    const lifted = await operations.post(`/v1/restrictions/${created.body.id}/lift`);
    expect(lifted.body).toMatchObject({ status: 'lifted', enforcement: { state: 'completed', cancelledBookings: 1 } });
    expect((await book(['FR'], 2)).status).toBe(201);
    expect((await statusOf(existing.id)).status).toBe('cancelled');

    const byAgent = await agent.get(`/v1/restrictions/${created.body.id}`);
    expect(byAgent.status).toBe(200);
    // Agents never see which operations keys applied and lifted it; operations do.
    expect(lifted.body).toMatchObject({ appliedByKeyId: expect.any(String), liftedByKeyId: expect.any(String) });
    expect(byAgent.body).not.toHaveProperty('appliedByKeyId');
    expect(byAgent.body).not.toHaveProperty('liftedByKeyId');
    const lists = {
      lifted: await agent.get('/v1/restrictions?status=lifted&nationality=FR'),
      active: await agent.get('/v1/restrictions?status=active'),
      otherNationality: await agent.get('/v1/restrictions?nationality=JP'),
    };
    expect(lists.lifted.body.data.map((restriction: any) => restriction.id)).toContain(created.body.id);
    for (const restriction of [...lists.lifted.body.data, ...lists.active.body.data]) {
      expect(Object.keys(restriction).filter((key) => key.endsWith('KeyId'))).toEqual([]);
    }
    expect(lists.active.body.data.map((restriction: any) => restriction.id)).not.toContain(created.body.id);
    expect(lists.otherNationality.body.data.map((restriction: any) => restriction.id)).not.toContain(created.body.id);
    expect((await agent.get('/v1/restrictions?status=gone')).status).toBe(400);
    expect((await agent.get(`/v1/restrictions/00000000-0000-4000-8000-000000000000`)).status).toBe(404);

    const page = await operations.get('/v1/restrictions?limit=1');
    expect(page.body.data).toHaveLength(1);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const next = await operations.get(`/v1/restrictions?limit=1&cursor=${page.body.nextCursor}`);
    expect(next.body.data[0].id).not.toBe(page.body.data[0].id);
  });

  it('a booking admitted while a ban is being created waits for it, then is refused', async () => {
    // This test plays a restriction creation in progress: the restrictions lock held
    // exclusively and the row inserted, not yet committed.
    const creation = await stack.database.pool.connect();
    let booking: Promise<any> | undefined;
    try {
      await creation.query('BEGIN');
      await creation.query('SELECT pg_advisory_xact_lock($1)', [RESTRICTIONS_ADVISORY_LOCK]);
      const { rows } = await creation.query(
        `INSERT INTO restrictions (nationalities, home_country, effective_from, window_from, reason)
         VALUES ('{NZ}', 'KP', now() + interval '1 hour', $1, 'in flight') RETURNING id`,
        [dateFromToday(0)],
      );
      let settled = false;
      booking = book(['NZ'], 3).finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(settled).toBe(false);
      await creation.query('COMMIT');
      const refused = await booking;
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ code: 'nationality_restricted', restrictionId: rows[0].id });
    } finally {
      await creation.query('ROLLBACK').catch(() => undefined);
      creation.release();
      await booking?.catch(() => undefined);
    }
  });

  it('a ban created while a booking is being admitted waits for it, then its enforcement cancels it', async () => {
    // This test plays an admission in progress: the restrictions lock held shared and the
    // booking written, not yet committed.
    const admission = await stack.database.pool.connect();
    let creation: Promise<any> | undefined;
    try {
      await admission.query('BEGIN');
      await admission.query('SELECT pg_advisory_xact_lock_shared($1)', [RESTRICTIONS_ADVISORY_LOCK]);
      await admission.query(
        `INSERT INTO bookings (reference, agency_id, status, check_in, check_out, guests, guest_count, nationalities)
         VALUES ('INFLIGHT-1', $1, 'confirmed', $2, $3, '[{"fullName": "In Flight", "nationality": "NZ"}]', 1, '{NZ}')`,
        [agencyId, dateFromToday(4), dateFromToday(5)],
      );
      await admission.query(
        `INSERT INTO nights (date, capacity, reserved) VALUES ($1, 20000, 1) ON CONFLICT (date) DO UPDATE SET reserved = nights.reserved + 1`,
        [dateFromToday(4)],
      );
      let settled = false;
      creation = operations
        .post('/v1/restrictions', { nationalities: ['NZ'], effectiveFrom: new Date().toISOString(), reason: 'Concurrent' })
        .finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(settled).toBe(false);
      await admission.query('COMMIT');
      const created = await creation;
      expect(created.status).toBe(201);
      const done = await waitForRestriction(operations, created.body.id, enforcementCompleted);
      expect(done.enforcement).toMatchObject({ affectedBookings: 1, cancelledBookings: 1 });
      const { rows } = await stack.database.pool.query(
        `SELECT status, cancellation_restriction_id AS "restrictionId" FROM bookings WHERE reference = 'INFLIGHT-1'`,
      );
      expect(rows[0]).toEqual({ status: 'cancelled', restrictionId: created.body.id });
      expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
    } finally {
      await admission.query('ROLLBACK').catch(() => undefined);
      admission.release();
      await creation?.catch(() => undefined);
    }
  });

  it('no booking slips past a ban created while bookings are being made concurrently', async () => {
    const covered = 'DE';
    const results: { status: number; code?: string; at: number }[] = [];
    let stopAt = Date.now() + 15_000;
    let restrictionId: string | undefined;
    let banCreatedAt = 0;

    const loop = async (worker: number): Promise<void> => {
      for (let attempt = 0; Date.now() < stopAt; attempt++) {
        const response = await book([covered, 'RU'].slice(0, 1 + ((worker + attempt) % 2)), 1 + ((worker + attempt) % 10), 2);
        results.push({ status: response.status, code: response.body?.code, at: Date.now() });
      }
    };
    const applyBan = async (): Promise<void> => {
      // Once bookings are flowing (a loaded machine may take a while to answer the first ones).
      while (results.filter((result) => result.status === 201).length < 20 && Date.now() < stopAt) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const created = await operations.post('/v1/restrictions', {
        nationalities: [covered],
        effectiveFrom: new Date().toISOString(),
        effectiveUntil: midnightIn(15),
        reason: 'Race',
      });
      expect(created.status).toBe(201);
      restrictionId = created.body.id;
      banCreatedAt = Date.now();
      // Keep booking for a while after the ban, while its enforcement runs.
      stopAt = Math.min(stopAt, banCreatedAt + 1500);
    };
    await Promise.all([...Array.from({ length: 8 }, (_, worker) => loop(worker)), applyBan()]);

    const done = await waitForRestriction(operations, restrictionId as string, enforcementCompleted);
    expect(results.every((result) => result.status === 201 || (result.status === 422 && result.code === 'nationality_restricted'))).toBe(
      true,
    );
    // The race really happened: bookings were admitted before the ban and refused after it.
    expect(results.filter((result) => result.status === 201 && result.at < banCreatedAt).length).toBeGreaterThan(0);
    expect(results.filter((result) => result.status === 422).length).toBeGreaterThan(0);
    expect(done.enforcement.cancelledBookings).toBeGreaterThan(0);

    const { rows } = await stack.database.pool.query(
      `SELECT count(*)::int AS live FROM bookings
        WHERE status IN ('held', 'confirmed') AND $1 = ANY(nationalities) AND check_in >= $2 AND check_in < $3`,
      [covered, dateFromToday(0), dateFromToday(15)],
    );
    expect(rows[0].live).toBe(0);
    expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
  });
});
