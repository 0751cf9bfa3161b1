import { Queue } from 'bullmq';
import fc from 'fast-check';
import { jobIds, QUEUES } from '#libs/jobs';
import { dateFromToday, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import {
  enforcementCompleted,
  instantFromNow,
  nightsOutOfBalance,
  waitForEnforcingWorker,
  waitForRestriction,
} from './support/restriction-helpers';
import { waitFor } from '../scripts/harness';

type Policy = 'cancel_booking' | 'remove_covered_guests' | 'ask';
type TestGuest = { fullName: string; nationality: string; dateOfBirth?: string };

const adult = (nationality: string, fullName = `Adult ${nationality}`): TestGuest => ({ fullName, nationality, dateOfBirth: '1980-05-05' });
const child = (nationality: string, fullName = `Child ${nationality}`): TestGuest => ({ fullName, nationality, dateOfBirth: '2020-05-05' });

/** An agency with the policy and an agent key for it. */
async function agencyWithPolicy(operations: KalmaClient, partyPolicy: Policy): Promise<{ agencyId: string; agent: KalmaClient }> {
  const agency = await operations.createAgencyWithAgentKey();
  const updated = await operations.request('PATCH', `/v1/agencies/${agency.agencyId}`, { partyPolicy });
  if (updated.status !== 200) throw new Error(`setting the party policy: ${updated.status} ${JSON.stringify(updated.body)}`);
  return { agencyId: agency.agencyId, agent: operations.as(agency.agentKey) };
}

async function bookOrFail(
  client: KalmaClient,
  guests: TestGuest[],
  checkInDays: number,
  extra: Record<string, unknown> = {},
): Promise<any> {
  const response = await client.createBooking({
    checkIn: dateFromToday(checkInDays),
    checkOut: dateFromToday(checkInDays + 2),
    guests,
    ...extra,
  });
  if (response.status !== 201) throw new Error(`booking failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Every test starts with no restriction in force and no live booking (a ban in effect always covers check-ins from today). */
async function clearBookingsAndRestrictions(stack: KalmaStack): Promise<void> {
  await stack.database.pool.query(`UPDATE restrictions SET lifted_at = now() WHERE lifted_at IS NULL`);
  await stack.database.pool.query(
    `UPDATE bookings SET status = 'cancelled', cancellation_reason = 'operations', cancelled_at = now(),
            action_required_reason = NULL, action_required_restriction_id = NULL, action_required_deadline = NULL
      WHERE status IN ('held', 'confirmed')`,
  );
  await stack.database.pool.query(`UPDATE nights SET reserved = 0, held = 0`);
  await stack.database.pool.query(`UPDATE flights SET seats_reserved = 0`);
}

async function banAndWait(operations: KalmaClient, body: Record<string, unknown>): Promise<any> {
  const created = await operations.post('/v1/restrictions', { effectiveFrom: instantFromNow(0), reason: 'Party policy test', ...body });
  expect(created.status).toBe(201);
  return waitForRestriction(operations, created.body.id, enforcementCompleted, 30_000);
}

describe('party policies', () => {
  let stack: KalmaStack;
  let operations: KalmaClient;

  beforeAll(async () => {
    stack = await startKalmaStack({ apiCount: 1, workerCount: 1 });
    operations = stack.operations;
    await waitForEnforcingWorker(operations);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  afterEach(async () => {
    await clearBookingsAndRestrictions(stack);
  });

  it('an agency has a party policy: cancel_booking unless operations set another on POST or PATCH; anything else is refused', async () => {
    const created = await operations.post('/v1/agencies', { name: 'Default policy' });
    expect(created.status).toBe(201);
    expect(created.body.partyPolicy).toBe('cancel_booking');
    const asking = await operations.post('/v1/agencies', { name: 'Asking', partyPolicy: 'ask' });
    expect(asking.status).toBe(201);
    expect((await operations.get(`/v1/agencies/${asking.body.id}`)).body.partyPolicy).toBe('ask');

    const patched = await operations.request('PATCH', `/v1/agencies/${created.body.id}`, { partyPolicy: 'remove_covered_guests' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Default policy', partyPolicy: 'remove_covered_guests' });
    // A rename leaves the policy alone.
    expect((await operations.request('PATCH', `/v1/agencies/${created.body.id}`, { name: 'Renamed' })).body.partyPolicy).toBe(
      'remove_covered_guests',
    );

    for (const partyPolicy of ['cancel', null, 3]) {
      const refused = await operations.request('PATCH', `/v1/agencies/${created.body.id}`, { partyPolicy });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('validation_failed');
      expect((await operations.post('/v1/agencies', { name: 'Bad', partyPolicy })).status).toBe(400);
    }
    expect((await operations.get(`/v1/agencies/${created.body.id}`)).body.partyPolicy).toBe('remove_covered_guests');
  });

  it('remove_covered_guests: covered guests leave with their nights and seats; a party left without an adult, or all covered, is cancelled', async () => {
    const { agencyId, agent } = await agencyWithPolicy(operations, 'remove_covered_guests');
    const checkIn = dateFromToday(3);
    const checkOut = dateFromToday(5);
    const inboundRoute = (await operations.post('/v1/routes', { origin: 'VVO', destination: 'WOS' })).body.id;
    const outboundRoute = (await operations.post('/v1/routes', { origin: 'WOS', destination: 'VVO' })).body.id;
    const arriving = await operations.post('/v1/flights', {
      routeId: inboundRoute,
      flightNumber: 'KR101',
      departureAt: `${checkIn}T09:00:00+10:00`,
      arrivalAt: `${checkIn}T12:00:00+09:00`,
      seats: 100,
    });
    const leaving = await operations.post('/v1/flights', {
      routeId: outboundRoute,
      flightNumber: 'KR102',
      departureAt: `${checkOut}T14:00:00+09:00`,
      arrivalAt: `${checkOut}T17:00:00+10:00`,
      seats: 100,
    });
    expect([arriving.status, leaving.status]).toEqual([201, 201]);
    const flights = { outboundFlightId: arriving.body.id, returnFlightId: leaving.body.id };

    const family = await bookOrFail(agent, [adult('US', 'Anna'), adult('RU', 'Boris'), child('RU', 'Vera')], 3, { ...flights, hold: true });
    // No date of birth: an adult.
    const friends = await bookOrFail(
      agent,
      [
        { fullName: 'Dan', nationality: 'US' },
        { fullName: 'Egor', nationality: 'RU' },
      ],
      3,
    );
    const childLeft = await bookOrFail(agent, [adult('US'), child('RU')], 3, flights);
    const allCovered = await bookOrFail(agent, [adult('US'), adult('US')], 3);
    const untouched = await bookOrFail(agent, [adult('RU')], 3);
    const nightsBefore = (await operations.get(`/v1/capacity?from=${checkIn}&to=${checkOut}`)).body.nights;
    expect(nightsBefore.map((night: any) => [night.reserved, night.held])).toEqual([
      [10, 3],
      [10, 3],
    ]);

    const done = await banAndWait(operations, { nationalities: ['US'] });
    expect(done.enforcement).toMatchObject({ affectedBookings: 4, cancelledBookings: 2, reducedBookings: 2 });

    const reduced = (await agent.get(`/v1/bookings/${family.id}`)).body;
    expect(reduced).toMatchObject({ status: 'held', guestCount: 2, actionRequired: null, cancellation: null });
    expect(reduced.guests.map((guest: TestGuest) => guest.fullName)).toEqual(['Boris', 'Vera']);
    expect((await agent.get(`/v1/bookings/${friends.id}`)).body).toMatchObject({
      status: 'confirmed',
      guestCount: 1,
      guests: [{ fullName: 'Egor', nationality: 'RU' }],
    });
    for (const cancelled of [childLeft, allCovered]) {
      expect((await agent.get(`/v1/bookings/${cancelled.id}`)).body).toMatchObject({
        status: 'cancelled',
        cancellation: { reason: 'restriction', restrictionId: done.id },
      });
    }
    expect((await agent.get(`/v1/bookings/${untouched.id}`)).body).toMatchObject({ status: 'confirmed', guestCount: 1 });

    // Nights: 10 guests, minus 1 (family) + 1 (friends) removed, minus 2 + 2 cancelled; held: the family's one removed guest.
    const nightsAfter = (await operations.get(`/v1/capacity?from=${checkIn}&to=${checkOut}`)).body.nights;
    expect(nightsAfter.map((night: any) => [night.reserved, night.held])).toEqual([
      [4, 2],
      [4, 2],
    ]);
    // Seats: family 3 → 2, childLeft 2 → 0.
    for (const flightId of [arriving.body.id, leaving.body.id]) {
      expect((await operations.get(`/v1/flights/${flightId}`)).body.seatsReserved).toBe(2);
    }
    expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);

    const inbox = (await agent.get('/v1/notifications?limit=100')).body.data;
    const removals = inbox.filter((notification: any) => notification.type === 'booking.guests_removed');
    expect(removals.map((notification: any) => notification.data).sort((a: any, b: any) => a.guestCount - b.guestCount)).toEqual([
      expect.objectContaining({
        bookingId: friends.id,
        reference: friends.reference,
        restrictionId: done.id,
        removedGuests: [{ fullName: 'Dan', nationality: 'US' }],
        guestCount: 1,
      }),
      expect.objectContaining({
        bookingId: family.id,
        reference: family.reference,
        restrictionId: done.id,
        removedGuests: [{ fullName: 'Anna', nationality: 'US' }],
        guestCount: 2,
      }),
    ]);
    // Only names and nationalities of the removed guests go out.
    expect(JSON.stringify(removals)).not.toContain('1980-05-05');
    expect(inbox.filter((notification: any) => notification.type === 'booking.cancelled')).toHaveLength(2);
    expect(inbox.filter((notification: any) => notification.type === 'booking.action_required')).toHaveLength(0);
    expect(agencyId).toBe(reduced.agencyId);
  });

  it('ask: the reduced booking waits for a decision; keep clears it once (then 409), cancel clears it too; no decision pending is 409', async () => {
    const { agent } = await agencyWithPolicy(operations, 'ask');
    const other = await agencyWithPolicy(operations, 'ask');
    const kept = await bookOrFail(agent, [adult('GB'), adult('RU')], 4);
    const cancelledByAgent = await bookOrFail(agent, [adult('GB'), adult('RU')], 4);
    const untouched = await bookOrFail(agent, [adult('RU')], 4);
    const startedAt = Date.now();
    const done = await banAndWait(operations, { allForeign: true, except: ['RU'] });
    expect(done.enforcement).toMatchObject({ affectedBookings: 2, cancelledBookings: 0, reducedBookings: 2 });

    const waiting = (await agent.get(`/v1/bookings/${kept.id}`)).body;
    expect(waiting).toMatchObject({
      status: 'confirmed',
      guestCount: 1,
      actionRequired: { reason: 'guests_removed', restrictionId: done.id },
    });
    const deadline = Date.parse(waiting.actionRequired.deadline);
    expect(deadline).toBeGreaterThanOrEqual(startedAt + 48 * 3600_000 - 1000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 48 * 3600_000);

    const inbox = (await agent.get('/v1/notifications?limit=100')).body.data;
    const asked = inbox.filter((notification: any) => notification.type === 'booking.action_required');
    expect(asked).toHaveLength(2);
    expect(asked.find((notification: any) => notification.data.bookingId === kept.id).data).toMatchObject({
      reference: kept.reference,
      restrictionId: done.id,
      removedGuests: [{ fullName: 'Adult GB', nationality: 'GB' }],
      guestCount: 1,
      actionRequired: { reason: 'guests_removed', restrictionId: done.id, deadline: waiting.actionRequired.deadline },
    });

    // Another agency's booking is not found; the owner keeps it; a second keep has nothing to decide.
    expect((await other.agent.post(`/v1/bookings/${kept.id}/keep`)).status).toBe(404);
    const keep = await agent.post(`/v1/bookings/${kept.id}/keep`);
    expect(keep.status).toBe(200);
    expect(keep.body).toMatchObject({ status: 'confirmed', guestCount: 1, actionRequired: null });
    const again = await agent.post(`/v1/bookings/${kept.id}/keep`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_state');
    expect((await agent.post(`/v1/bookings/${untouched.id}/keep`)).body.code).toBe('invalid_state');

    const cancel = await agent.post(`/v1/bookings/${cancelledByAgent.id}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'cancelled', actionRequired: null, cancellation: { reason: 'agent_request' } });
    expect((await agent.post(`/v1/bookings/${cancelledByAgent.id}/keep`)).status).toBe(409);
    expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
  });
  it('property: the preview counts, per agency, exactly what enforcement then does to mixed parties under the three policies', async () => {
    const policies: Policy[] = ['cancel_booking', 'remove_covered_guests', 'ask'];
    const agencies = await Promise.all(policies.map((policy) => agencyWithPolicy(operations, policy)));
    const pool = ['RU', 'GB', 'US', 'KP', 'CN'];
    const ages = ['none', 'adult', 'child', 'exactly18', 'almost18'] as const;
    const guestArbitrary = fc.record({ nationality: fc.constantFrom(...pool), age: fc.constantFrom(...ages) });
    const bookingArbitrary = fc.record({
      agency: fc.integer({ min: 0, max: 2 }),
      checkInDays: fc.integer({ min: 2, max: 4 }),
      guests: fc.array(guestArbitrary, { minLength: 1, maxLength: 4 }),
    });
    const coverageArbitrary = fc.oneof(
      fc.record({ allForeign: fc.constant(false as const), nationalities: fc.subarray(pool, { minLength: 1 }) }),
      fc.record({ allForeign: fc.constant(true as const), except: fc.subarray(pool.filter((code) => code !== 'KP')) }),
    );

    /** The date of birth of a guest of that age on `checkIn`, written independently of the rule under test. */
    const dateOfBirth = (age: (typeof ages)[number], checkIn: string): string | undefined => {
      const eighteenth = `${Number(checkIn.slice(0, 4)) - 18}${checkIn.slice(4)}`;
      if (age === 'none') return undefined;
      if (age === 'adult') return '1970-01-01';
      if (age === 'child') return `${Number(checkIn.slice(0, 4)) - 6}${checkIn.slice(4)}`;
      if (age === 'exactly18') return eighteenth;
      return new Date(Date.parse(`${eighteenth}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    };

    await fc.assert(
      fc.asyncProperty(fc.array(bookingArbitrary, { minLength: 1, maxLength: 14 }), coverageArbitrary, async (parties, coverage) => {
        try {
          const covered = (nationality: string): boolean =>
            coverage.allForeign
              ? nationality !== 'KP' && !coverage.except.includes(nationality)
              : coverage.nationalities.includes(nationality);
          const expected = new Map(
            agencies.map((agency) => [agency.agencyId, { bookingsToCancel: 0, bookingsToReduce: 0, guestsToRemove: 0 }]),
          );
          for (const party of parties) {
            const checkIn = dateFromToday(party.checkInDays);
            const guests = party.guests.map((guest, index) => ({
              fullName: `Guest ${index}`,
              nationality: guest.nationality,
              dateOfBirth: dateOfBirth(guest.age, checkIn),
            }));
            await bookOrFail(
              operations,
              guests.map((guest) => (guest.dateOfBirth ? guest : { fullName: guest.fullName, nationality: guest.nationality })),
              party.checkInDays,
              {
                agencyId: agencies[party.agency].agencyId,
              },
            );
            const removed = guests.filter((guest) => covered(guest.nationality)).length;
            if (removed === 0) continue;
            const kept = guests.filter((guest) => !covered(guest.nationality));
            const keptAdult = kept.some(
              (guest) => guest.dateOfBirth === undefined || ['adult', 'exactly18'].includes(party.guests[guests.indexOf(guest)].age),
            );
            const counts = expected.get(agencies[party.agency].agencyId)!;
            if (kept.length === 0 || policies[party.agency] === 'cancel_booking' || !keptAdult) counts.bookingsToCancel++;
            else {
              counts.bookingsToReduce++;
              counts.guestsToRemove += removed;
            }
          }
          const body = { ...coverage, effectiveFrom: instantFromNow(0), reason: 'Property test' };
          const preview = await operations.post('/v1/restrictions/preview', body);
          expect(preview.status).toBe(200);
          const previewed = new Map(preview.body.byAgency.map((agency: any) => [agency.agencyId, agency]));
          for (const [agencyId, counts] of expected) {
            if (counts.bookingsToCancel + counts.bookingsToReduce === 0) expect(previewed.has(agencyId)).toBe(false);
            else expect(previewed.get(agencyId)).toMatchObject(counts);
          }
          const sum = (field: 'bookingsToCancel' | 'bookingsToReduce' | 'guestsToRemove'): number =>
            [...expected.values()].reduce((total, counts) => total + counts[field], 0);
          expect(preview.body).toMatchObject({
            bookingsToCancel: sum('bookingsToCancel'),
            bookingsToReduce: sum('bookingsToReduce'),
            guestsToRemove: sum('guestsToRemove'),
            affectedBookings: sum('bookingsToCancel') + sum('bookingsToReduce'),
          });

          const done = await banAndWait(operations, body);
          expect(done.enforcement).toMatchObject({
            affectedBookings: preview.body.affectedBookings,
            cancelledBookings: preview.body.bookingsToCancel,
            reducedBookings: preview.body.bookingsToReduce,
          });
          const { rows } = await stack.database.pool.query(
            `SELECT a.id AS "agencyId",
                    (SELECT count(*)::int FROM bookings b WHERE b.agency_id = a.id AND b.cancellation_restriction_id = $1::uuid) AS "bookingsToCancel",
                    (SELECT count(*)::int FROM notifications n WHERE n.agency_id = a.id AND n.data->>'restrictionId' = $1::text
                        AND n.type IN ('booking.guests_removed', 'booking.action_required')) AS "bookingsToReduce",
                    (SELECT COALESCE(sum(jsonb_array_length(n.data->'removedGuests')), 0)::int FROM notifications n
                      WHERE n.agency_id = a.id AND n.data->>'restrictionId' = $1::text AND n.type IN ('booking.guests_removed', 'booking.action_required')) AS "guestsToRemove"
               FROM agencies a WHERE a.id = ANY($2::uuid[])`,
            [done.id, agencies.map((agency) => agency.agencyId)],
          );
          for (const row of rows) expect(row).toEqual({ agencyId: row.agencyId, ...expected.get(row.agencyId) });
          // Only the ask agency's reduced bookings wait for a decision.
          const { rows: waiting } = await stack.database.pool.query(
            `SELECT count(*)::int AS count FROM bookings WHERE action_required_restriction_id = $1 AND agency_id = $2`,
            [done.id, agencies[2].agencyId],
          );
          expect(waiting[0].count).toBe(expected.get(agencies[2].agencyId)!.bookingsToReduce);
          // No covered guest stays booked, and the nights hold exactly the live guests.
          const again = await operations.post('/v1/restrictions/preview', body);
          expect(again.body).toMatchObject({ affectedBookings: 0, coveredGuests: 0 });
          expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
        } finally {
          await clearBookingsAndRestrictions(stack);
        }
      }),
      { numRuns: 12 },
    );
  }, 240_000);
});

/**
 * Decision deadlines, with PARTY_DECISION_HOURS short enough to reach in a test (0.001 h = 3.6 s).
 * A fast sweep, so that a lost deadline job is made up for within the test's patience.
 */
describe('party decision deadlines', () => {
  const decisionMs = 3600;
  let stack: KalmaStack;
  let operations: KalmaClient;

  beforeAll(async () => {
    stack = await startKalmaStack({
      apiCount: 1,
      workerCount: 1,
      env: { PARTY_DECISION_HOURS: String(decisionMs / 3_600_000), SWEEP_INTERVAL_SECONDS: '1' },
    });
    operations = stack.operations;
    await waitForEnforcingWorker(operations);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  afterEach(async () => {
    await clearBookingsAndRestrictions(stack);
  });

  async function waitUntilNoDecisionPending(timeoutMs: number): Promise<void> {
    await waitFor(
      async () =>
        (await stack.database.pool.query(`SELECT count(*)::int AS pending FROM bookings WHERE action_required_deadline IS NOT NULL`))
          .rows[0].pending as number,
      (pending) => pending === 0,
      { timeoutMs, intervalMs: 200, onTimeout: (pending) => new Error(`${pending} decisions still pending`) },
    );
  }

  it('keeps racing the deadline: each booking ends kept or cancelled (reason restriction), never both, its nights released once', async () => {
    const { agent } = await agencyWithPolicy(operations, 'ask');
    const count = 30;
    const bookings = await Promise.all(Array.from({ length: count }, () => bookOrFail(agent, [adult('US'), adult('RU'), child('RU')], 2)));
    const done = await banAndWait(operations, { nationalities: ['US'] });
    expect(done.enforcement.reducedBookings).toBe(count);

    const deadlines = new Map<string, number>();
    for (const booking of bookings) {
      const body = (await agent.get(`/v1/bookings/${booking.id}`)).body;
      deadlines.set(booking.id, Date.parse(body.actionRequired.deadline));
    }
    // Three keeps per booking, spread from 1 s before its deadline to 0.5 s after it.
    const attempts = await Promise.all(
      bookings.flatMap((booking, index) =>
        [0, 1, 2].map(async (attempt) => {
          const offset = -1000 + ((index * 3 + attempt) * 1500) / (count * 3);
          await new Promise((resolve) => setTimeout(resolve, Math.max((deadlines.get(booking.id) as number) + offset - Date.now(), 0)));
          const response = await agent.post(`/v1/bookings/${booking.id}/keep`);
          return { bookingId: booking.id, status: response.status, code: response.body.code };
        }),
      ),
    );
    expect(attempts.every((attempt) => attempt.status === 200 || (attempt.status === 409 && attempt.code === 'invalid_state'))).toBe(true);
    await waitUntilNoDecisionPending(15_000);

    let keptCount = 0;
    let cancelledCount = 0;
    for (const booking of bookings) {
      const final = (await agent.get(`/v1/bookings/${booking.id}`)).body;
      const keeps = attempts.filter((attempt) => attempt.bookingId === booking.id && attempt.status === 200).length;
      if (final.status === 'cancelled') {
        cancelledCount++;
        expect(keeps).toBe(0);
        expect(final.cancellation).toMatchObject({ reason: 'restriction', restrictionId: done.id });
      } else {
        keptCount++;
        expect(keeps).toBe(1);
        expect(final).toMatchObject({ status: 'confirmed', guestCount: 2, actionRequired: null });
      }
    }
    // The spread straddles every deadline: both outcomes happen.
    expect(keptCount).toBeGreaterThan(0);
    expect(cancelledCount).toBeGreaterThan(0);
    const { rows } = await stack.database.pool.query(
      `SELECT count(*)::int AS notifications, count(DISTINCT data->>'bookingId')::int AS bookings
         FROM notifications WHERE type = 'booking.cancelled' AND data->>'restrictionId' = $1`,
      [done.id],
    );
    expect(rows[0]).toEqual({ notifications: cancelledCount, bookings: cancelledCount });
    expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
  }, 60_000);

  it('an unanswered booking is cancelled at its deadline by its delayed job, and by the sweep when that job is lost', async () => {
    const { agent } = await agencyWithPolicy(operations, 'ask');
    const byJob = await bookOrFail(agent, [adult('US'), adult('RU')], 2);
    const bySweep = await bookOrFail(agent, [adult('US'), adult('RU')], 2);
    const done = await banAndWait(operations, { nationalities: ['US'] });
    expect(done.enforcement.reducedBookings).toBe(2);

    // Lose one booking's deadline job, as a flushed Redis would.
    const queue = new Queue(QUEUES.bookings, { connection: { url: stack.env.REDIS_URL }, prefix: stack.env.QUEUE_PREFIX });
    try {
      const jobs = await Promise.all([byJob, bySweep].map((booking) => queue.getJob(jobIds.partyDecision(booking.id, done.id))));
      expect(jobs.map((job) => job?.delay ?? 0).every((delay) => delay > 0 && delay <= decisionMs)).toBe(true);
      await jobs[1]?.remove();
    } finally {
      await queue.close();
    }
    await waitUntilNoDecisionPending(15_000);
    for (const booking of [byJob, bySweep]) {
      const final = (await agent.get(`/v1/bookings/${booking.id}`)).body;
      expect(final).toMatchObject({
        status: 'cancelled',
        actionRequired: null,
        cancellation: { reason: 'restriction', restrictionId: done.id },
      });
    }
    const inbox = (await agent.get('/v1/notifications?limit=100')).body.data;
    expect(
      inbox
        .filter((notification: any) => notification.type === 'booking.cancelled')
        .map((notification: any) => notification.data.bookingId)
        .sort(),
    ).toEqual([byJob.id, bySweep.id].sort());
    expect(await nightsOutOfBalance(stack.database.pool)).toEqual([]);
  }, 60_000);
});
