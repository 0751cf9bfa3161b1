import fc from 'fast-check';
import { dateFromToday, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';

interface Stay {
  nationalities: string[];
  checkInDay: number;
  nights: number;
  cancelled: boolean;
}

/** What GET /v1/exposure must say for these stays over [fromDay, toDay): live guests per night by nationality. */
function expectedExposure(
  stays: Stay[],
  fromDay: number,
  toDay: number,
): { nights: { date: string; guests: number; byNationality: Record<string, number> }[]; totals: Record<string, number> } {
  const nights = [];
  const totals: Record<string, number> = {};
  for (let day = fromDay; day < toDay; day++) {
    const byNationality: Record<string, number> = {};
    for (const stay of stays) {
      if (stay.cancelled || day < stay.checkInDay || day >= stay.checkInDay + stay.nights) continue;
      for (const nationality of stay.nationalities) byNationality[nationality] = (byNationality[nationality] ?? 0) + 1;
    }
    for (const [nationality, guests] of Object.entries(byNationality)) totals[nationality] = (totals[nationality] ?? 0) + guests;
    nights.push({ date: dateFromToday(day), guests: Object.values(byNationality).reduce((a, b) => a + b, 0), byNationality });
  }
  return { nights, totals };
}

/** GET /v1/exposure: the data of the console's Exposure screen. */
describe('exposure (live guests per night by nationality)', () => {
  let stack: KalmaStack;
  let operations: KalmaClient;
  let agent: KalmaClient;

  beforeAll(async () => {
    stack = await startKalmaStack();
    operations = stack.operations;
    agent = operations.as((await operations.createAgencyWithAgentKey()).agentKey);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('counts held and confirmed guests of every night in range, by nationality, stays cut to the range; cancelled ones not at all', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            nationalities: fc.array(fc.constantFrom('RU', 'CN', 'GB', 'KP'), { minLength: 1, maxLength: 4 }),
            checkInDay: fc.integer({ min: 2, max: 12 }),
            nights: fc.integer({ min: 1, max: 5 }),
            cancelled: fc.boolean(),
            hold: fc.boolean(),
          }),
          { maxLength: 6 },
        ),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 12 }),
        async (stays, fromDay, length) => {
          await stack.database.pool.query(
            `UPDATE bookings SET status = 'cancelled', cancellation_reason = 'operations', cancelled_at = now() WHERE status <> 'cancelled'`,
          );
          for (const stay of stays) {
            const created = await agent.createBooking({
              checkIn: dateFromToday(stay.checkInDay),
              checkOut: dateFromToday(stay.checkInDay + stay.nights),
              guests: stay.nationalities.map((nationality, index) => ({ fullName: `Guest ${index}`, nationality })),
              hold: stay.hold,
            });
            expect(created.status).toBe(201);
            if (stay.cancelled) expect((await agent.post(`/v1/bookings/${created.body.id}/cancel`)).status).toBe(200);
          }
          const response = await operations.get(`/v1/exposure?from=${dateFromToday(fromDay)}&to=${dateFromToday(fromDay + length)}`);
          expect(response.status).toBe(200);
          const expected = expectedExposure(stays, fromDay, fromDay + length);
          expect(response.body.nights).toEqual(expected.nights);
          expect(response.body.totals).toEqual(expected.totals);
          // Largest first: the console lists the nationalities a ban would take out most of first.
          const totals = Object.values(response.body.totals as Record<string, number>);
          expect(totals).toEqual([...totals].sort((a, b) => b - a));
        },
      ),
      { numRuns: 15 },
    );
  }, 180_000);

  it('refuses a bad range with validation_failed and agents with 403', async () => {
    expect((await operations.get(`/v1/exposure?from=${dateFromToday(5)}&to=${dateFromToday(5)}`)).body.code).toBe('validation_failed');
    expect((await operations.get(`/v1/exposure?from=${dateFromToday(1)}&to=${dateFromToday(102)}`)).body.code).toBe('validation_failed');
    expect((await operations.get(`/v1/exposure?from=2027-02-30&to=2027-03-02`)).body.code).toBe('validation_failed');
    expect((await operations.get(`/v1/exposure?from=${dateFromToday(1)}`)).status).toBe(400);
    expect((await agent.get(`/v1/exposure?from=${dateFromToday(1)}&to=${dateFromToday(3)}`)).status).toBe(403);
  });

  it('finds a booking by its reference (the console search)', async () => {
    const created = await agent.createBooking({
      checkIn: dateFromToday(3),
      checkOut: dateFromToday(4),
      guests: [{ fullName: 'Ri Chol', nationality: 'KP' }],
    });
    const found = await operations.get(`/v1/bookings?reference=${created.body.reference}`);
    expect(found.body.data.map((booking: { id: string }) => booking.id)).toEqual([created.body.id]);
    expect((await operations.get('/v1/bookings?reference=KAL-NOSUCH')).body.data).toEqual([]);
    expect((await operations.get('/v1/bookings?reference=bad%20ref')).body.code).toBe('validation_failed');
  });
});
