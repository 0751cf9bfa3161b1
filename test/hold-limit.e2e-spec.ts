import { dateFromToday, guest, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { waitFor } from '../scripts/harness';

const LIMIT = 50;

/**
 * MAX_HELD_GUESTS_PER_AGENCY across two API processes: the database decides (the agency's
 * counter is locked in the admission transaction), so racing holds from one agency through both
 * processes never exceed it, and every transition out of `held` gives the room back.
 */
describe('hold limit per agency (two API processes)', () => {
  let stack: KalmaStack;
  let agencyId: string;
  let agents: KalmaClient[];

  beforeAll(async () => {
    stack = await startKalmaStack({
      apiCount: 2,
      env: { MAX_HELD_GUESTS_PER_AGENCY: String(LIMIT), HOLD_TTL_SECONDS: '600', SWEEP_INTERVAL_SECONDS: '1' },
    });
    const agency = await stack.operations.createAgencyWithAgentKey();
    agencyId = agency.agencyId;
    agents = stack.apis.map((api) => new KalmaClient(api.baseUrl, agency.agentKey));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const stay = { checkIn: dateFromToday(20), checkOut: dateFromToday(22) };
  const party = (size: number) => Array.from({ length: size }, () => guest());
  const hold = (client: KalmaClient, size: number) => client.createBooking({ ...stay, guests: party(size), hold: true });

  /** Held guests as the database has them: the bookings themselves, and the counter the admission reads. */
  async function heldInDatabase(): Promise<{ bookings: number; counter: number }> {
    const { rows } = await stack.database.pool.query(
      `SELECT (SELECT COALESCE(sum(guest_count), 0)::int FROM bookings WHERE agency_id = $1 AND status = 'held') AS bookings,
              (SELECT COALESCE(max(held_guests), 0) FROM agency_held_guests WHERE agency_id = $1) AS counter`,
      [agencyId],
    );
    return rows[0];
  }

  function expectHoldLimitProblem(result: { status: number; body: any }, requested: number): void {
    expect(result.status).toBe(409);
    expect(result.body).toMatchObject({ code: 'hold_limit_reached', limit: LIMIT, requested });
    expect(result.body.held + requested).toBeGreaterThan(LIMIT);
  }

  let heldBookings: { id: string; guests: number }[] = [];

  it('admits racing holds of random sizes up to the limit and no further, refusing the rest with 409 hold_limit_reached', async () => {
    const sizes = Array.from({ length: 80 }, () => 1 + Math.floor(Math.random() * 8));
    const results = await Promise.all(sizes.map((size, index) => hold(agents[index % 2], size)));

    const admitted = results.flatMap((result, index) =>
      result.status === 201 ? [{ id: result.body.id as string, guests: sizes[index] }] : [],
    );
    const refused = results.flatMap((result, index) => (result.status === 201 ? [] : [{ result, guests: sizes[index] }]));
    const heldGuests = admitted.reduce((sum, booking) => sum + booking.guests, 0);
    expect(heldGuests).toBeLessThanOrEqual(LIMIT);
    expect(refused.length).toBeGreaterThan(0);
    for (const { result, guests } of refused) expectHoldLimitProblem(result, guests);
    // Nothing refused would still fit: every refused request was decided against at least what is held now.
    for (const { guests } of refused) expect(heldGuests + guests).toBeGreaterThan(LIMIT);
    // Which process admits how many depends on which batch commits first; that both decided is
    // what the exact total above shows (each alone was sent far more than the limit).
    expect(await heldInDatabase()).toEqual({ bookings: heldGuests, counter: heldGuests });
    heldBookings = admitted;
  });

  async function fillUp(): Promise<void> {
    const { bookings: held } = await heldInDatabase();
    if (held < LIMIT) {
      const filler = await hold(agents[1], LIMIT - held);
      expect(filler.status).toBe(201);
      heldBookings.push({ id: filler.body.id, guests: LIMIT - held });
    }
    expectHoldLimitProblem(await hold(agents[0], 1), 1);
  }

  it('gives the room back when a hold is confirmed', async () => {
    await fillUp();
    const confirmed = heldBookings.shift() as { id: string; guests: number };
    expect((await agents[0].post(`/v1/bookings/${confirmed.id}/confirm`)).status).toBe(200);
    expectHoldLimitProblem(await hold(agents[1], confirmed.guests + 1), confirmed.guests + 1);
    const again = await hold(agents[1], confirmed.guests);
    expect(again.status).toBe(201);
    heldBookings.push({ id: again.body.id, guests: confirmed.guests });
    expect(await heldInDatabase()).toEqual({ bookings: LIMIT, counter: LIMIT });
  });

  it('gives the room back when a hold is cancelled', async () => {
    await fillUp();
    const cancelled = heldBookings.shift() as { id: string; guests: number };
    expect((await agents[1].post(`/v1/bookings/${cancelled.id}/cancel`)).status).toBe(200);
    const again = await hold(agents[0], cancelled.guests);
    expect(again.status).toBe(201);
    heldBookings.push({ id: again.body.id, guests: cancelled.guests });
    expectHoldLimitProblem(await hold(agents[0], 1), 1);
    expect(await heldInDatabase()).toEqual({ bookings: LIMIT, counter: LIMIT });
  });

  it('does not count a hold past its expiry, even before the sweep has released it', async () => {
    await fillUp();
    const expired = heldBookings.shift() as { id: string; guests: number };
    // As if its expiry had passed (no worker runs here, so nothing releases it).
    await stack.database.pool.query(`UPDATE bookings SET hold_expires_at = now() - interval '1 second' WHERE id = $1`, [expired.id]);
    const again = await hold(agents[1], expired.guests);
    expect(again.status).toBe(201);
    heldBookings.push({ id: again.body.id, guests: expired.guests });
    const refusal = await hold(agents[0], 1);
    expectHoldLimitProblem(refusal, 1);
    expect(refusal.body.held).toBe(LIMIT);
    // The counter still has the expired hold (status held) until a sweep releases it.
    expect(await heldInDatabase()).toEqual({ bookings: LIMIT + expired.guests, counter: LIMIT + expired.guests });
  });

  it('keeps the counter exact when the sweep releases the expired hold', async () => {
    stack.startWorker();
    const held = await waitFor(heldInDatabase, (found) => found.bookings === LIMIT, { timeoutMs: 20_000, intervalMs: 200 });
    expect(held).toEqual({ bookings: LIMIT, counter: LIMIT });
  });

  it('does not limit confirmed bookings, and limits each agency on its own', async () => {
    const confirmed = await agents[0].createBooking({ ...stay, guests: party(LIMIT) });
    expect(confirmed.status).toBe(201);
    expect(confirmed.body.status).toBe('confirmed');

    const other = await stack.operations.createAgencyWithAgentKey();
    const otherAgent = new KalmaClient(stack.apis[1].baseUrl, other.agentKey);
    expect((await hold(otherAgent, LIMIT)).status).toBe(201);
    expectHoldLimitProblem(await hold(otherAgent, 1), 1);
  });
});
