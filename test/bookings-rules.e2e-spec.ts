import { dateFromToday, guest, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { scrapeMetrics } from './support/metrics';
import { pageThrough } from './support/pagination';

/** Every validation rule of PRODUCT.md, and who may see and change which booking. */
describe('booking rules and access', () => {
  let stack: KalmaStack;
  let agentA: KalmaClient;
  let agentB: KalmaClient;
  let agencyA: string;
  let agencyB: string;

  beforeAll(async () => {
    stack = await startKalmaStack({ env: { MAX_STAY_NIGHTS: '30', MAX_PARTY_SIZE: '50', BOOKING_HORIZON_DAYS: '400' } });
    const a = await stack.operations.createAgencyWithAgentKey('Agency A');
    const b = await stack.operations.createAgencyWithAgentKey('Agency B');
    agencyA = a.agencyId;
    agencyB = b.agencyId;
    agentA = new KalmaClient(stack.apis[0].baseUrl, a.agentKey);
    agentB = new KalmaClient(stack.apis[0].baseUrl, b.agentKey);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** The API's `kalma_bookings_cancelled_total` for one reason. */
  async function cancellationsCounted(reason: string): Promise<number> {
    return (await scrapeMetrics(stack.apis[0].baseUrl))(`kalma_bookings_cancelled_total{reason="${reason}"}`);
  }

  async function bookingCount(): Promise<number> {
    const { rows } = await stack.database.pool.query(`SELECT count(*)::int AS count FROM bookings`);
    return rows[0].count;
  }

  const valid = () => ({ checkIn: dateFromToday(30), checkOut: dateFromToday(34), guests: [guest('RU', 'Ivan Petrov')] });

  describe('validation (400 validation_failed, nothing written)', () => {
    const cases: [string, () => unknown, string][] = [
      ['an impossible date', () => ({ ...valid(), checkIn: '2027-02-30' }), 'checkIn'],
      ['a date in another format', () => ({ ...valid(), checkOut: '01/07/2027' }), 'checkOut'],
      ['check-out before check-in', () => ({ ...valid(), checkOut: dateFromToday(29) }), 'checkOut'],
      ['zero nights', () => ({ ...valid(), checkOut: dateFromToday(30) }), 'checkOut'],
      ['more than MAX_STAY_NIGHTS', () => ({ ...valid(), checkOut: dateFromToday(61) }), 'checkOut'],
      ['a check-in in the past', () => ({ ...valid(), checkIn: dateFromToday(-2), checkOut: dateFromToday(1) }), 'checkIn'],
      ['a check-in beyond the horizon', () => ({ ...valid(), checkIn: dateFromToday(402), checkOut: dateFromToday(404) }), 'checkIn'],
      ['no guests', () => ({ ...valid(), guests: [] }), 'guests'],
      ['more than MAX_PARTY_SIZE guests', () => ({ ...valid(), guests: Array.from({ length: 51 }, () => guest()) }), 'guests'],
      ['a lower-case nationality', () => ({ ...valid(), guests: [guest('ru')] }), 'guests[0].nationality'],
      ['an unknown country code', () => ({ ...valid(), guests: [guest('XX')] }), 'guests[0].nationality'],
      ['a missing name', () => ({ ...valid(), guests: [{ nationality: 'RU' }] }), 'guests[0].fullName'],
      ['a blank name', () => ({ ...valid(), guests: [{ fullName: '   ', nationality: 'RU' }] }), 'guests[0].fullName'],
      [
        'a birth date in the future',
        () => ({ ...valid(), guests: [{ ...guest(), dateOfBirth: dateFromToday(5) }] }),
        'guests[0].dateOfBirth',
      ],
      ['an unknown field', () => ({ ...valid(), discount: 50 }), 'discount'],
      ['an unknown guest field', () => ({ ...valid(), guests: [{ ...guest(), vip: true }] }), 'guests[0].vip'],
      ['a wrong type', () => ({ ...valid(), hold: 'yes' }), 'hold'],
      ['a flight id that is not a UUID', () => ({ ...valid(), outboundFlightId: 'SU-123' }), 'outboundFlightId'],
    ];

    it.each(cases)('refuses %s', async (_, body, field) => {
      const before = await bookingCount();
      const result = await agentA.createBooking(body());
      expect(result.status).toBe(400);
      expect(result.headers.get('content-type')).toContain('application/problem+json');
      expect(result.body).toMatchObject({ code: 'validation_failed', status: 400 });
      expect(result.body.errors.map((error: { field: string }) => error.field)).toContain(field);
      expect(await bookingCount()).toBe(before);
    });

    it('refuses a body that is not JSON', async () => {
      const result = await agentA.request('POST', '/v1/bookings', '{"checkIn": ', { 'idempotency-key': 'broken-json' });
      expect(result.status).toBe(400);
      expect(result.body.code).toBe('validation_failed');
    });

    it("accepts today's resort date as check-in", async () => {
      const result = await agentA.createBooking({ ...valid(), checkIn: dateFromToday(0), checkOut: dateFromToday(1) });
      expect(result.status).toBe(201);
      expect(result.body).toMatchObject({ nights: 1, guestCount: 1, status: 'confirmed', agencyId: agencyA, cancellation: null });
      expect(result.body.reference).toMatch(/^KAL-[A-Z0-9]{6}$/);
    });
  });

  describe('access', () => {
    let bookingOfA: { id: string };

    beforeAll(async () => {
      bookingOfA = (await agentA.createBooking(valid())).body;
    });

    it('answers 401 without a key, with an unknown key and with a revoked key', async () => {
      expect((await agentA.as(undefined).get(`/v1/bookings/${bookingOfA.id}`)).body.code).toBe('unauthenticated');
      expect((await agentA.as('kalma_agt_unknown').get(`/v1/bookings/${bookingOfA.id}`)).status).toBe(401);
      const issued = await stack.operations.post(`/v1/agencies/${agencyA}/api-keys`, { label: 'to revoke' });
      const revoked = agentA.as(issued.body.key);
      expect((await revoked.get(`/v1/bookings/${bookingOfA.id}`)).status).toBe(200);
      expect((await stack.operations.request('DELETE', `/v1/api-keys/${issued.body.id}`)).status).toBe(200);
      const afterRevoke = await revoked.get(`/v1/bookings/${bookingOfA.id}`);
      expect(afterRevoke.status).toBe(401);
      expect(afterRevoke.body.code).toBe('unauthenticated');
    });

    it("hides another agency's booking (404) and refuses to change it", async () => {
      expect((await agentB.get(`/v1/bookings/${bookingOfA.id}`)).status).toBe(404);
      expect((await agentB.post(`/v1/bookings/${bookingOfA.id}/cancel`)).status).toBe(404);
      expect((await agentB.post(`/v1/bookings/${bookingOfA.id}/confirm`)).status).toBe(404);
      const list = await agentB.get('/v1/bookings');
      expect(list.body.data.map((booking: { id: string }) => booking.id)).not.toContain(bookingOfA.id);
      expect((await agentA.get(`/v1/bookings/${bookingOfA.id}`)).status).toBe(200);
      expect((await stack.operations.get(`/v1/bookings/${bookingOfA.id}`)).status).toBe(200);
    });

    it('refuses an agent acting for another agency (403) and operations endpoints (403)', async () => {
      const forOther = await agentA.createBooking({ ...valid(), agencyId: agencyB });
      expect(forOther.status).toBe(403);
      expect(forOther.body.code).toBe('forbidden');
      expect((await agentA.put(`/v1/capacity/${dateFromToday(30)}`, { capacity: 10 })).status).toBe(403);
      expect((await agentA.post('/v1/agencies', { name: 'Sneaky' })).status).toBe(403);
      expect((await agentA.get(`/v1/bookings?agencyId=${agencyB}`)).status).toBe(403);
    });

    it('lets operations book for an agency, and requires them to say which', async () => {
      expect((await stack.operations.createBooking(valid())).status).toBe(400);
      const booked = await stack.operations.createBooking({ ...valid(), agencyId: agencyB });
      expect(booked.status).toBe(201);
      expect(booked.body.agencyId).toBe(agencyB);
    });
  });

  describe('lifecycle and capacity', () => {
    it('cancels once: the capacity comes back, a second cancel is invalid_state, the metric counts one', async () => {
      const checkIn = dateFromToday(60);
      const created = await agentA.createBooking({ checkIn, checkOut: dateFromToday(62), guests: [guest(), guest('CN'), guest('KP')] });
      const countedBefore = await cancellationsCounted('agent_request');
      const before = await agentA.get(`/v1/capacity?from=${checkIn}&to=${dateFromToday(62)}`);
      expect(before.body.nights.map((night: { reserved: number }) => night.reserved)).toEqual([3, 3]);
      const cancelled = await agentA.post(`/v1/bookings/${created.body.id}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', cancellation: { reason: 'agent_request' } });
      const again = await agentA.post(`/v1/bookings/${created.body.id}/cancel`);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('invalid_state');
      const after = await agentA.get(`/v1/capacity?from=${checkIn}&to=${dateFromToday(62)}`);
      expect(after.body.nights.map((night: { reserved: number }) => night.reserved)).toEqual([0, 0]);
      expect((await cancellationsCounted('agent_request')) - countedBefore).toBe(1);
    });

    it('times admission in the metrics: one wait per request, one duration per batch', async () => {
      const counts = async (): Promise<Record<string, number>> => {
        const count = await scrapeMetrics(stack.apis[0].baseUrl);
        return {
          waits: count('kalma_admission_wait_seconds_count'),
          batches: count('kalma_admission_batch_duration_seconds_count'),
          requestsInBatches: count('kalma_admission_batch_size_sum'),
          batchSizes: count('kalma_admission_batch_size_count'),
        };
      };
      const before = await counts();
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          agentA.createBooking({ checkIn: dateFromToday(90 + (index % 3)), checkOut: dateFromToday(93), guests: [guest()] }),
        ),
      );
      expect(created.map((response) => response.status)).toEqual(Array(20).fill(201));
      const after = await counts();
      expect(after.waits - before.waits).toBe(20);
      expect(after.requestsInBatches - before.requestsInBatches).toBe(20);
      expect(after.batches - before.batches).toBe(after.batchSizes - before.batchSizes);
      expect(after.batches - before.batches).toBeGreaterThanOrEqual(1);
      expect(after.batches - before.batches).toBeLessThanOrEqual(20);
    });

    it('names the short nights and what is available when capacity runs out', async () => {
      const date = dateFromToday(70);
      await stack.operations.put(`/v1/capacity/${dateFromToday(71)}`, { capacity: 2 });
      const refused = await agentA.createBooking({ checkIn: date, checkOut: dateFromToday(73), guests: [guest(), guest(), guest()] });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({
        code: 'capacity_exhausted',
        shortNights: [{ date: dateFromToday(71), requested: 3, available: 2 }],
      });
      const calendar = await agentA.get(`/v1/capacity?from=${date}&to=${dateFromToday(73)}`);
      expect(calendar.body.nights.map((night: { reserved: number }) => night.reserved)).toEqual([0, 0, 0]);
    });

    it('refuses to set capacity below what is reserved (409) and accepts it at that level', async () => {
      const date = dateFromToday(80);
      await agentA.createBooking({ checkIn: date, checkOut: dateFromToday(81), guests: [guest(), guest()] });
      const tooLow = await stack.operations.put(`/v1/capacity/${date}`, { capacity: 1 });
      expect(tooLow.status).toBe(409);
      expect(tooLow.body.code).toBe('capacity_below_reserved');
      const exact = await stack.operations.put(`/v1/capacity/${date}`, { capacity: 2 });
      expect(exact.status).toBe(200);
      expect(exact.body).toEqual({ date, capacity: 2, reserved: 2, held: 0, available: 0 });
      expect((await stack.operations.put(`/v1/capacity/2027-02-30`, { capacity: 5 })).status).toBe(400);
      expect((await stack.operations.put(`/v1/capacity/${date}`, { capacity: -1 })).status).toBe(400);
    });

    it('reads the calendar with the default capacity for untouched nights, to excluded', async () => {
      const calendar = await agentA.get(`/v1/capacity?from=${dateFromToday(200)}&to=${dateFromToday(203)}`);
      expect(calendar.status).toBe(200);
      expect(calendar.body.nights).toEqual(
        [200, 201, 202].map((offset) => ({ date: dateFromToday(offset), capacity: 20000, reserved: 0, held: 0, available: 20000 })),
      );
      expect((await agentA.get(`/v1/capacity?from=${dateFromToday(5)}&to=${dateFromToday(5)}`)).status).toBe(400);
      expect((await agentA.get(`/v1/capacity?from=2027-02-30&to=2027-03-02`)).status).toBe(400);
    });

    it('lists bookings newest first with cursor pagination and filters', async () => {
      const created: string[] = [];
      for (let index = 0; index < 5; index++) {
        created.push(
          (await agentB.createBooking({ checkIn: dateFromToday(90 + index), checkOut: dateFromToday(91 + index), guests: [guest()] })).body
            .id,
        );
      }
      const seen = await pageThrough(agentB, `/v1/bookings?checkInFrom=${dateFromToday(90)}&checkInTo=${dateFromToday(95)}`, { limit: 2 });
      expect(seen).toEqual([...created].reverse());
      const filtered = await agentB.get(`/v1/bookings?checkInFrom=${dateFromToday(92)}&checkInTo=${dateFromToday(93)}&status=confirmed`);
      expect(filtered.body.data.map((booking: { id: string }) => booking.id)).toEqual([created[2]]);
      expect((await agentB.get('/v1/bookings?cursor=garbage')).status).toBe(400);
      expect((await agentB.get('/v1/bookings?status=pending')).status).toBe(400);
    });
  });

  describe('Idempotency-Key retries of a request that no longer passes validation', () => {
    // A second API process of the same deployment with a shorter horizon stands for "later":
    // the first answer was given under rules the retry no longer meets.
    let laterAgentA: KalmaClient;

    beforeAll(async () => {
      const later = await stack.startApi({ BOOKING_HORIZON_DAYS: '10' });
      laterAgentA = new KalmaClient(later.baseUrl, agentA.apiKey);
    });

    it('replays the first answer for the same body, and refuses a different body as key reuse', async () => {
      const body = { checkIn: dateFromToday(20), checkOut: dateFromToday(22), guests: [guest('RU', 'Olga Retry')] };
      const first = await agentA.createBooking(body, 'retry-after-rules-changed');
      expect(first.status).toBe(201);
      const countAfterFirst = await bookingCount();

      const retried = await laterAgentA.createBooking(body, 'retry-after-rules-changed');
      expect(retried.status).toBe(201);
      expect(retried.body).toEqual(first.body);
      const fresh = await laterAgentA.createBooking(body, 'a-new-key');
      expect(fresh.status).toBe(400);
      expect(fresh.body.code).toBe('validation_failed');
      const changed = await laterAgentA.createBooking({ ...body, checkOut: dateFromToday(23) }, 'retry-after-rules-changed');
      expect(changed.status).toBe(422);
      expect(changed.body.code).toBe('idempotency_key_reused');
      expect(await bookingCount()).toBe(countAfterFirst);
    });
  });

  it('lets an Idempotency-Key be used afresh once its first use is more than 24 hours old', async () => {
    const key = 'reused-after-a-day';
    const first = await agentA.createBooking(
      { checkIn: dateFromToday(24), checkOut: dateFromToday(25), guests: [guest('CN', 'Li Day One')] },
      key,
    );
    expect(first.status).toBe(201);
    const sameDay = await agentA.createBooking(
      { checkIn: dateFromToday(26), checkOut: dateFromToday(27), guests: [guest('CN', 'Li Day One')] },
      key,
    );
    expect(sameDay.body.code).toBe('idempotency_key_reused');

    await stack.database.pool.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`, [key]);
    const nextDay = await agentA.createBooking(
      { checkIn: dateFromToday(26), checkOut: dateFromToday(27), guests: [guest('CN', 'Li Day Two')] },
      key,
    );
    expect(nextDay.status).toBe(201);
    expect(nextDay.body.id).not.toBe(first.body.id);
    const replayed = await agentA.createBooking(
      { checkIn: dateFromToday(26), checkOut: dateFromToday(27), guests: [guest('CN', 'Li Day Two')] },
      key,
    );
    expect(replayed.body).toEqual(nextDay.body);
  });
});
