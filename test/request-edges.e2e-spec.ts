import { dateFromToday, guest, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { instantFromNow } from './support/restriction-helpers';

/**
 * Edges an agency or an operator meets by ordinary use: flights that have already left, bodies
 * with fields an action does not take, blank names, and one bad value reported once.
 */
describe('request edges', () => {
  let stack: KalmaStack;
  let agent: KalmaClient;
  let agencyId: string;
  let inboundRouteId: string;
  let flightCounter = 500;

  beforeAll(async () => {
    stack = await startKalmaStack();
    const agency = await stack.operations.createAgencyWithAgentKey();
    agencyId = agency.agencyId;
    agent = new KalmaClient(stack.apis[0].baseUrl, agency.agentKey);
    const route = await stack.operations.post('/v1/routes', { origin: 'VVO', destination: 'WOS' });
    expect(route.status).toBe(201);
    inboundRouteId = route.body.id;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** A flight to the resort departing and arriving at these instants (operations may record past flights). */
  async function inboundFlight(departureAt: Date, arrivalAt: Date): Promise<any> {
    const response = await stack.operations.post('/v1/flights', {
      routeId: inboundRouteId,
      flightNumber: `KR${flightCounter++}`,
      departureAt: departureAt.toISOString(),
      arrivalAt: arrivalAt.toISOString(),
      seats: 50,
    });
    expect(response.status).toBe(201);
    return response.body;
  }

  /** The start of today's resort-local date (the resort is at UTC+9 without daylight saving). */
  function startOfResortToday(): Date {
    return new Date(`${dateFromToday(0)}T00:00:00+09:00`);
  }

  describe('flights that have departed', () => {
    it('refuses them on new bookings and on PUT …/flights (409 flight_unavailable), accepts a flight later today', async () => {
      const now = Date.now();
      // Every departure and arrival within today's resort-local date, so each flight fits a check-in of today.
      const sinceMidnight = now - startOfResortToday().getTime();
      const untilMidnight = startOfResortToday().getTime() + 86_400_000 - now;
      const inTheAir = await inboundFlight(new Date(now - sinceMidnight / 2), new Date(now + untilMidnight / 4));
      const landed = await inboundFlight(new Date(now - (sinceMidnight * 2) / 3), new Date(now - sinceMidnight / 3));
      const later = await inboundFlight(new Date(now + untilMidnight / 4), new Date(now + untilMidnight / 2));
      const departed = inTheAir;
      const stay = { checkIn: dateFromToday(0), checkOut: dateFromToday(3), guests: [guest('RU')] };

      for (const flight of [departed, landed]) {
        const refused = await agent.createBooking({ ...stay, outboundFlightId: flight.id });
        expect(refused.status).toBe(409);
        expect(refused.body).toMatchObject({ code: 'flight_unavailable', flightId: flight.id, segment: 'outbound', reason: 'departed' });
      }
      const booking = await agent.createBooking(stay);
      expect(booking.status).toBe(201);
      for (const flight of [departed, landed]) {
        const refused = await agent.put(`/v1/bookings/${booking.body.id}/flights`, { outboundFlightId: flight.id });
        expect(refused.status).toBe(409);
        expect(refused.body).toMatchObject({ code: 'flight_unavailable', reason: 'departed' });
      }
      const seats = await stack.database.pool.query(`SELECT sum(seats_reserved)::int AS reserved FROM flights WHERE id = ANY($1::uuid[])`, [
        [departed.id, landed.id],
      ]);
      expect(seats.rows[0].reserved).toBe(0);

      const accepted = await agent.put(`/v1/bookings/${booking.body.id}/flights`, { outboundFlightId: later.id });
      expect(accepted.status).toBe(200);
      expect(accepted.body.outboundFlightId).toBe(later.id);
    });
  });

  describe('actions that take no body', () => {
    it('refuse unknown fields (400 validation_failed, nothing changed) and work with no body or {}', async () => {
      const held = await agent.createBooking({
        checkIn: dateFromToday(30),
        checkOut: dateFromToday(32),
        guests: [guest('RU')],
        hold: true,
      });
      expect(held.status).toBe(201);
      const restriction = await stack.operations.post('/v1/restrictions', {
        nationalities: ['NZ'],
        effectiveFrom: instantFromNow(3600),
        reason: 'Announced',
      });
      expect(restriction.status).toBe(201);

      const actions: { client: KalmaClient; path: string; check: () => Promise<unknown> }[] = [
        {
          client: agent,
          path: `/v1/bookings/${held.body.id}/confirm`,
          check: async () => (await agent.get(`/v1/bookings/${held.body.id}`)).body.status,
        },
        {
          client: agent,
          path: `/v1/bookings/${held.body.id}/cancel`,
          check: async () => (await agent.get(`/v1/bookings/${held.body.id}`)).body.status,
        },
        {
          client: stack.operations,
          path: `/v1/restrictions/${restriction.body.id}/lift`,
          check: async () => (await stack.operations.get(`/v1/restrictions/${restriction.body.id}`)).body.status,
        },
        { client: stack.operations, path: `/v1/agencies/${agencyId}/webhook-deliveries/retry`, check: async () => 'no state' },
        {
          client: stack.operations,
          path: `/v1/agencies/${agencyId}/webhook-secret`,
          check: async () => (await stack.database.pool.query(`SELECT webhook_secret FROM agencies WHERE id = $1`, [agencyId])).rows[0],
        },
      ];
      for (const { client, path, check } of actions) {
        const before = await check();
        const refused = await client.post(path, { reason: 'the client thinks this is recorded' });
        expect({
          path,
          status: refused.status,
          code: refused.body.code,
          fields: refused.body.errors?.map((error: any) => error.field),
        }).toEqual({
          path,
          status: 400,
          code: 'validation_failed',
          fields: ['reason'],
        });
        expect(await check()).toEqual(before);
      }
      // No body at all (no content type), then {}: both accepted.
      const confirmed = await agent.request('POST', `/v1/bookings/${held.body.id}/confirm`);
      expect(confirmed.status).toBe(200);
      expect(confirmed.body.status).toBe('confirmed');
      const cancelled = await agent.post(`/v1/bookings/${held.body.id}/cancel`, {});
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      expect((await stack.operations.request('POST', `/v1/restrictions/${restriction.body.id}/lift`)).status).toBe(200);
      expect((await stack.operations.post(`/v1/agencies/${agencyId}/webhook-deliveries/retry`)).status).toBe(200);
    });
  });

  describe('agency names', () => {
    it('refuses a blank name and stores a name without surrounding white space', async () => {
      for (const name of ['', '   ', '\t\n ']) {
        const created = await stack.operations.post('/v1/agencies', { name });
        expect(created.status).toBe(400);
        expect(created.body.errors).toEqual([{ field: 'name', message: 'name must not be blank' }]);
        const renamed = await stack.operations.request('PATCH', `/v1/agencies/${agencyId}`, { name });
        expect(renamed.status).toBe(400);
      }
      const created = await stack.operations.post('/v1/agencies', { name: '  Vostok Travel  ' });
      expect(created.status).toBe(201);
      expect(created.body.name).toBe('Vostok Travel');
      const renamed = await stack.operations.request('PATCH', `/v1/agencies/${created.body.id}`, { name: ' Vostok Tours ' });
      expect(renamed.body.name).toBe('Vostok Tours');
    });
  });

  describe('one bad value, one message', () => {
    it.each([
      ['a string for a number', '5', 'capacity must be an integer number'],
      ['a fraction', 1.5, 'capacity must be an integer number'],
      ['a boolean', true, 'capacity must be an integer number'],
    ])('%s as a capacity says only what type it must be', async (_, capacity, message) => {
      const response = await stack.operations.put(`/v1/capacity/${dateFromToday(40)}`, { capacity });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ field: 'capacity', message }]);
    });

    it('still reports a value of the right type out of range', async () => {
      const response = await stack.operations.put(`/v1/capacity/${dateFromToday(40)}`, { capacity: -1 });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ field: 'capacity', message: 'capacity must not be less than 0' }]);
    });
  });
});
