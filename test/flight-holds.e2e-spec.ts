import { dateFromToday, guest, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { waitFor } from '../scripts/harness';

/** An expired hold gives back its seats as well as its nights (through the one cancellation path). */
describe('held bookings with flights', () => {
  let stack: KalmaStack;

  beforeAll(async () => {
    stack = await startKalmaStack({ apiCount: 1, workerCount: 1, env: { HOLD_TTL_SECONDS: '1', SWEEP_INTERVAL_SECONDS: '1' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('releases the seats of an expired hold exactly once', async () => {
    const { agentKey } = await stack.operations.createAgencyWithAgentKey();
    const agent = new KalmaClient(stack.apis[0].baseUrl, agentKey);
    const checkIn = dateFromToday(20);
    const checkOut = dateFromToday(23);
    const inbound = (await stack.operations.post('/v1/routes', { origin: 'SVO', destination: 'WOS' })).body;
    const outbound = (await stack.operations.post('/v1/routes', { origin: 'WOS', destination: 'SVO' })).body;
    const arriving = await stack.operations.post('/v1/flights', {
      routeId: inbound.id,
      flightNumber: 'SU1902',
      departureAt: `${dateFromToday(19)}T21:00:00+03:00`,
      arrivalAt: `${checkIn}T12:30:00+09:00`,
      seats: 3,
    });
    const leaving = await stack.operations.post('/v1/flights', {
      routeId: outbound.id,
      flightNumber: 'SU1903',
      departureAt: `${checkOut}T14:00:00+09:00`,
      arrivalAt: `${checkOut}T17:00:00+03:00`,
      seats: 3,
    });
    expect([arriving.status, leaving.status]).toEqual([201, 201]);

    const held = await agent.createBooking({
      checkIn,
      checkOut,
      guests: [guest('RU', 'A'), guest('RU', 'B'), guest('RU', 'C')],
      hold: true,
      outboundFlightId: arriving.body.id,
      returnFlightId: leaving.body.id,
    });
    expect(held.status).toBe(201);
    expect((await stack.operations.get(`/v1/flights/${arriving.body.id}`)).body.seatsAvailable).toBe(0);

    await waitFor(
      () => agent.get(`/v1/bookings/${held.body.id}`),
      (booking) => booking.body.status === 'cancelled',
      { timeoutMs: 20_000, intervalMs: 200, onTimeout: () => new Error('the hold was not released') },
    );
    // Give a duplicate expiry (the delayed job and the sweep both fire) time to run: it must release nothing more.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const flight of [arriving.body, leaving.body]) {
      expect((await stack.operations.get(`/v1/flights/${flight.id}`)).body).toMatchObject({
        seats: 3,
        seatsReserved: 0,
        seatsAvailable: 3,
      });
    }
    const { rows } = await stack.database.pool.query(`SELECT reserved FROM nights WHERE date = $1`, [checkIn]);
    expect(rows[0].reserved).toBe(0);
  });
});
