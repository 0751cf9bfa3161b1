import { dateFromToday, guest, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { waitFor } from '../scripts/harness';

/**
 * Routes, flights and seats booked with stays, and flight disruptions, against two API processes
 * and one worker on the real database and Redis.
 */
describe('flights, seats and disruptions', () => {
  let stack: KalmaStack;
  let agents: KalmaClient[];
  let inboundRouteId: string;
  let outboundRouteId: string;
  let flightCounter = 100;

  beforeAll(async () => {
    // A fast sweep interval, so that the reconciler's runs fit in a test.
    stack = await startKalmaStack({ apiCount: 2, workerCount: 1, env: { SWEEP_INTERVAL_SECONDS: '1' } });
    const agency = await stack.operations.createAgencyWithAgentKey();
    agents = stack.apis.map((api) => new KalmaClient(api.baseUrl, agency.agentKey));
    const inbound = await stack.operations.post('/v1/routes', { origin: 'VVO', destination: 'WOS' });
    expect(inbound.status).toBe(201);
    inboundRouteId = inbound.body.id;
    const outbound = await stack.operations.post('/v1/routes', { origin: 'WOS', destination: 'VVO' });
    expect(outbound.status).toBe(201);
    outboundRouteId = outbound.body.id;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** A Vladivostok → Wonsan flight landing at noon resort time on `date`. */
  async function arrivingOn(date: string, seats: number, routeId = inboundRouteId): Promise<any> {
    const response = await stack.operations.post('/v1/flights', {
      routeId,
      flightNumber: `KR${flightCounter++}`,
      departureAt: `${date}T09:00:00+10:00`,
      arrivalAt: `${date}T12:00:00+09:00`,
      seats,
    });
    expect(response.status).toBe(201);
    return response.body;
  }

  /** A Wonsan → Vladivostok flight leaving at 14:00 resort time on `date`. */
  async function leavingOn(date: string, seats: number): Promise<any> {
    const response = await stack.operations.post('/v1/flights', {
      routeId: outboundRouteId,
      flightNumber: `KR${flightCounter++}`,
      departureAt: `${date}T14:00:00+09:00`,
      arrivalAt: `${date}T17:00:00+10:00`,
      seats,
    });
    expect(response.status).toBe(201);
    return response.body;
  }

  async function flight(id: string): Promise<any> {
    const response = await stack.operations.get(`/v1/flights/${id}`);
    expect(response.status).toBe(200);
    return response.body;
  }

  async function nightReserved(date: string): Promise<number> {
    const { rows } = await stack.database.pool.query<{ reserved: number }>(`SELECT reserved FROM nights WHERE date = $1`, [date]);
    return rows[0]?.reserved ?? 0;
  }

  /** Live guests on a flight according to the bookings themselves: must always equal seats_reserved. */
  async function liveGuestsOn(flightId: string): Promise<number> {
    const { rows } = await stack.database.pool.query<{ guests: string }>(
      `SELECT coalesce(sum(guest_count), 0)::text AS guests FROM bookings
        WHERE status IN ('held', 'confirmed') AND (outbound_flight_id = $1 OR return_flight_id = $1)`,
      [flightId],
    );
    return Number(rows[0].guests);
  }

  async function waitForDisruption(flightId: string): Promise<any> {
    return waitFor(
      () => flight(flightId),
      (current) => current.disruption?.state === 'completed',
      {
        timeoutMs: 30_000,
        intervalMs: 200,
        onTimeout: (current) => new Error(`disruption of ${flightId} did not complete: ${JSON.stringify(current.disruption)}`),
      },
    );
  }

  describe('routes and flights', () => {
    it('validates routes against the airport dataset, with the resort airport at one end', async () => {
      for (const [origin, destination] of [
        ['SVO', 'WOS'],
        ['WOS', 'FNJ'],
      ]) {
        const created = await stack.operations.post('/v1/routes', { origin, destination });
        expect(created.status).toBe(201);
        expect(created.body).toMatchObject({ origin, destination });
      }
      expect((await stack.operations.post('/v1/routes', { origin: 'WOS', destination: 'FNJ' })).body.code).toBe('invalid_state');
      const unknown = await stack.operations.post('/v1/routes', { origin: 'ZZZ', destination: 'WOS' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'origin' })]);
      expect((await stack.operations.post('/v1/routes', { origin: 'SVO', destination: 'VVO' })).status).toBe(400);
      expect((await stack.operations.post('/v1/routes', { origin: 'svo', destination: 'WOS' })).status).toBe(400);
      expect((await agents[0].post('/v1/routes', { origin: 'FNJ', destination: 'WOS' })).status).toBe(403);

      const listed = await agents[0].get('/v1/routes');
      expect(listed.status).toBe(200);
      expect(listed.body.data.map((route: any) => `${route.origin}-${route.destination}`)).toEqual(
        expect.arrayContaining(['VVO-WOS', 'WOS-VVO', 'SVO-WOS', 'WOS-FNJ']),
      );
      expect(listed.body.data.find((route: any) => route.origin === 'VVO').destinationName).toMatch(/Kalma/);
    });

    it('lists flights by resort-local departure date and shows their seats', async () => {
      const date = dateFromToday(70);
      const created = await arrivingOn(date, 120);
      expect(created).toMatchObject({
        seats: 120,
        seatsReserved: 0,
        seatsAvailable: 120,
        status: 'scheduled',
        origin: 'VVO',
        destination: 'WOS',
      });
      // Departs 09:00 Vladivostok time = 08:00 resort time on `date`.
      const onTheDay = await agents[1].get(`/v1/flights?from=${date}&to=${dateFromToday(71)}&origin=VVO&destination=WOS`);
      expect(onTheDay.status).toBe(200);
      expect(onTheDay.body.data.map((entry: any) => entry.id)).toEqual([created.id]);
      expect(Object.keys(onTheDay.body.data[0])).toEqual(
        expect.arrayContaining([
          'id',
          'routeId',
          'flightNumber',
          'origin',
          'destination',
          'departureAt',
          'arrivalAt',
          'seats',
          'seatsReserved',
          'seatsAvailable',
          'status',
        ]),
      );
      expect((await agents[1].get(`/v1/flights?from=${dateFromToday(71)}&to=${dateFromToday(72)}&origin=VVO`)).body.data).toEqual([]);
      expect((await agents[1].get(`/v1/flights?from=${date}&to=${date}`)).status).toBe(400);

      const duplicate = await stack.operations.post('/v1/flights', {
        routeId: inboundRouteId,
        flightNumber: created.flightNumber,
        departureAt: created.departureAt,
        arrivalAt: created.arrivalAt,
        seats: 10,
      });
      expect(duplicate.status).toBe(409);
      const backwards = await stack.operations.post('/v1/flights', {
        routeId: inboundRouteId,
        flightNumber: 'KR9999',
        departureAt: `${date}T12:00:00+09:00`,
        arrivalAt: `${date}T11:00:00+09:00`,
        seats: 10,
      });
      expect(backwards.status).toBe(400);
    });
  });

  describe('seats booked with the stay', () => {
    it('admits exactly 5 of 20 concurrent single-guest bookings on a 5-seat flight, across two API processes', async () => {
      const checkIn = dateFromToday(12);
      const checkOut = dateFromToday(15);
      const small = await arrivingOn(checkIn, 5);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          agents[index % 2].createBooking({ checkIn, checkOut, guests: [guest('RU', `Passenger ${index}`)], outboundFlightId: small.id }),
        ),
      );
      const statuses = results.map((result) => result.status);
      expect(statuses.filter((status) => status === 201)).toHaveLength(5);
      expect(statuses.filter((status) => status === 409)).toHaveLength(15);
      for (const refused of results.filter((result) => result.status === 409)) {
        expect(refused.body.code).toBe('seats_exhausted');
        expect(refused.body.shortFlights).toEqual([{ flightId: small.id, segment: 'outbound', requested: 1, available: 0 }]);
      }
      for (const created of results.filter((result) => result.status === 201)) expect(created.body.outboundFlightId).toBe(small.id);
      expect(await flight(small.id)).toMatchObject({ seats: 5, seatsReserved: 5, seatsAvailable: 0 });
      expect(await liveGuestsOn(small.id)).toBe(5);
      // The refused requests took no night either.
      expect(await nightReserved(checkIn)).toBe(5);
    });

    it('takes no seat for a booking whose nights are full, and no night for one whose flight is full', async () => {
      const checkIn = dateFromToday(20);
      const checkOut = dateFromToday(22);
      expect((await stack.operations.put(`/v1/capacity/${checkIn}`, { capacity: 1 })).status).toBe(200);
      const roomy = await arrivingOn(checkIn, 50);
      const party = [guest('RU', 'A'), guest('RU', 'B')];
      const nightsFull = await agents[0].createBooking({ checkIn, checkOut, guests: party, outboundFlightId: roomy.id });
      expect(nightsFull.status).toBe(409);
      expect(nightsFull.body.code).toBe('capacity_exhausted');
      expect((await flight(roomy.id)).seatsReserved).toBe(0);

      const laterCheckIn = dateFromToday(24);
      const tiny = await arrivingOn(laterCheckIn, 1);
      const flightFull = await agents[1].createBooking({
        checkIn: laterCheckIn,
        checkOut: dateFromToday(26),
        guests: party,
        outboundFlightId: tiny.id,
      });
      expect(flightFull.status).toBe(409);
      expect(flightFull.body.code).toBe('seats_exhausted');
      expect(await nightReserved(laterCheckIn)).toBe(0);
      expect((await flight(tiny.id)).seatsReserved).toBe(0);
    });

    it('refuses flights that do not fit the stay (flight_mismatch) and cancelled ones (flight_unavailable)', async () => {
      const checkIn = dateFromToday(30);
      const checkOut = dateFromToday(33);
      const arriving = await arrivingOn(checkIn, 10);
      const leaving = await leavingOn(checkOut, 10);
      const body = { checkIn, checkOut, guests: [guest('RU', 'Ivan')] };

      const ok = await agents[0].createBooking({ ...body, outboundFlightId: arriving.id, returnFlightId: leaving.id });
      expect(ok.status).toBe(201);
      expect(ok.body).toMatchObject({ outboundFlightId: arriving.id, returnFlightId: leaving.id });

      const cases: [Record<string, string>, string][] = [
        [{ outboundFlightId: leaving.id }, 'wrong_airport'],
        [{ returnFlightId: arriving.id }, 'wrong_airport'],
        [{ outboundFlightId: (await arrivingOn(dateFromToday(31), 10)).id }, 'wrong_date'],
        [{ returnFlightId: (await leavingOn(dateFromToday(32), 10)).id }, 'wrong_date'],
        [{ outboundFlightId: '00000000-0000-4000-8000-000000000000' }, 'unknown_flight'],
      ];
      for (const [flights, reason] of cases) {
        const refused = await agents[1].createBooking({ ...body, ...flights });
        expect({ reason, status: refused.status, code: refused.body.code, problemReason: refused.body.reason }).toEqual({
          reason,
          status: 422,
          code: 'flight_mismatch',
          problemReason: reason,
        });
      }

      const doomed = await arrivingOn(checkIn, 10);
      expect((await stack.operations.post(`/v1/flights/${doomed.id}/cancel`, { reason: 'Aircraft unavailable' })).status).toBe(200);
      const unavailable = await agents[0].createBooking({ ...body, outboundFlightId: doomed.id });
      expect(unavailable.status).toBe(409);
      expect(unavailable.body.code).toBe('flight_unavailable');
      expect(await nightReserved(checkIn)).toBe(1);
    });

    it('refuses to lower seats below what is reserved, and releases seats once when a booking is cancelled', async () => {
      const checkIn = dateFromToday(40);
      const arriving = await arrivingOn(checkIn, 10);
      const booking = await agents[0].createBooking({
        checkIn,
        checkOut: dateFromToday(42),
        guests: [guest('RU', 'A'), guest('RU', 'B'), guest('CN', 'C')],
        outboundFlightId: arriving.id,
      });
      expect(booking.status).toBe(201);
      const tooFew = await stack.operations.request('PATCH', `/v1/flights/${arriving.id}`, { seats: 2 });
      expect(tooFew.status).toBe(409);
      expect(tooFew.body.code).toBe('capacity_below_reserved');
      expect((await stack.operations.request('PATCH', `/v1/flights/${arriving.id}`, { seats: 3 })).body).toMatchObject({
        seats: 3,
        seatsAvailable: 0,
      });
      await expect(stack.database.pool.query(`UPDATE flights SET seats_reserved = seats + 1 WHERE id = $1`, [arriving.id])).rejects.toThrow(
        /seats_reserved_within_seats/,
      );

      expect((await agents[1].post(`/v1/bookings/${booking.body.id}/cancel`)).status).toBe(200);
      expect((await agents[1].post(`/v1/bookings/${booking.body.id}/cancel`)).status).toBe(409);
      expect((await flight(arriving.id)).seatsReserved).toBe(0);
    });

    it("replaces a booking's flights atomically: new seats or nothing", async () => {
      const checkIn = dateFromToday(45);
      const checkOut = dateFromToday(48);
      const first = await arrivingOn(checkIn, 10);
      const full = await arrivingOn(checkIn, 1);
      const second = await arrivingOn(checkIn, 10);
      const leaving = await leavingOn(checkOut, 10);
      const party = [guest('RU', 'A'), guest('RU', 'B')];
      const booking = await agents[0].createBooking({
        checkIn,
        checkOut,
        guests: party,
        outboundFlightId: first.id,
        returnFlightId: leaving.id,
      });
      expect(booking.status).toBe(201);
      const path = `/v1/bookings/${booking.body.id}/flights`;

      const refused = await agents[1].put(path, { outboundFlightId: full.id, returnFlightId: leaving.id });
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('seats_exhausted');
      const mismatch = await agents[1].put(path, {
        outboundFlightId: second.id,
        returnFlightId: (await leavingOn(dateFromToday(47), 10)).id,
      });
      expect(mismatch.status).toBe(422);
      expect(mismatch.body.code).toBe('flight_mismatch');
      // Neither refusal changed anything: not the booking, not a seat.
      expect((await agents[0].get(`/v1/bookings/${booking.body.id}`)).body).toMatchObject({
        outboundFlightId: first.id,
        returnFlightId: leaving.id,
      });
      expect((await flight(first.id)).seatsReserved).toBe(2);
      expect((await flight(second.id)).seatsReserved).toBe(0);
      expect((await flight(full.id)).seatsReserved).toBe(0);

      const moved = await agents[1].put(path, { outboundFlightId: second.id, returnFlightId: leaving.id });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ outboundFlightId: second.id, returnFlightId: leaving.id });
      expect((await flight(first.id)).seatsReserved).toBe(0);
      expect((await flight(second.id)).seatsReserved).toBe(2);
      expect((await flight(leaving.id)).seatsReserved).toBe(2);

      // PUT semantics: what is absent is removed.
      const cleared = await agents[0].put(path, { returnFlightId: leaving.id });
      expect(cleared.body).toMatchObject({ outboundFlightId: null, returnFlightId: leaving.id });
      expect((await flight(second.id)).seatsReserved).toBe(0);
      expect((await agents[0].put(path, {})).body).toMatchObject({ outboundFlightId: null, returnFlightId: null });
      expect((await flight(leaving.id)).seatsReserved).toBe(0);
      expect(await nightReserved(checkIn)).toBe(2);
    });
  });

  describe('disruptions', () => {
    async function notificationsOf(agent: KalmaClient): Promise<any[]> {
      const inbox = await agent.get('/v1/notifications?limit=200');
      expect(inbox.status).toBe(200);
      return inbox.body.data;
    }

    it('suspends a route: its flights in the window are cancelled, bookings keep the stay, lose the segment, and agencies are told the alternatives', async () => {
      const { agentKey } = await stack.operations.createAgencyWithAgentKey();
      const agent = new KalmaClient(stack.apis[1].baseUrl, agentKey);
      const routeResponse = await stack.operations.post('/v1/routes', { origin: 'FNJ', destination: 'WOS' });
      expect(routeResponse.status).toBe(201);
      const routeId = routeResponse.body.id;
      const suspendedDay = dateFromToday(55);
      const hit = await arrivingOn(suspendedDay, 40, routeId);
      const dayBefore = await arrivingOn(dateFromToday(54), 40, routeId);
      const farAway = await arrivingOn(dateFromToday(60), 40, routeId);
      const leaving = await leavingOn(dateFromToday(58), 40);
      // Another route landing at the resort on the suspended day: the one flight the kept stays can use.
      const sameDayOtherRoute = await arrivingOn(suspendedDay, 40);
      const sameDayTooSmall = await arrivingOn(suspendedDay, 1);

      const bookings = [];
      for (let index = 0; index < 6; index++) {
        const created = await agent.createBooking({
          checkIn: suspendedDay,
          checkOut: dateFromToday(58),
          guests: [guest('RU', `Traveller ${index}`), guest('RU', `Companion ${index}`)],
          outboundFlightId: hit.id,
          returnFlightId: leaving.id,
          hold: index === 0,
        });
        expect(created.status).toBe(201);
        bookings.push(created.body);
      }
      expect((await flight(hit.id)).seatsReserved).toBe(12);

      const suspension = await stack.operations.post(`/v1/routes/${routeId}/suspend`, {
        from: `${suspendedDay}T00:00:00+09:00`,
        until: `${dateFromToday(56)}T00:00:00+09:00`,
        reason: 'Airport closed to foreign carriers',
      });
      expect(suspension.status).toBe(201);
      expect(suspension.body.cancelledFlightIds).toEqual([hit.id]);
      const suspensions = await agent.get(`/v1/routes/${routeId}/suspensions`);
      expect(suspensions.body.data).toEqual([
        expect.objectContaining({ id: suspension.body.id, cancelledFlightIds: [hit.id], until: expect.any(String) }),
      ]);

      const done = await waitForDisruption(hit.id);
      expect(done).toMatchObject({
        status: 'cancelled',
        seatsReserved: 0,
        disruption: { state: 'completed', affectedBookings: 6, releasedBookings: 6 },
        cancellation: { reason: 'Airport closed to foreign carriers', suspensionId: suspension.body.id },
      });
      expect((await flight(dayBefore.id)).status).toBe('scheduled');
      expect((await flight(farAway.id)).status).toBe('scheduled');
      expect((await flight(leaving.id)).seatsReserved).toBe(12);
      for (const booking of bookings) {
        const after = (await agent.get(`/v1/bookings/${booking.id}`)).body;
        expect(after).toMatchObject({ status: booking.status, outboundFlightId: null, returnFlightId: leaving.id, checkIn: suspendedDay });
      }
      expect(await nightReserved(suspendedDay)).toBeGreaterThanOrEqual(12);

      const notifications = (await notificationsOf(agent)).filter((notification) => notification.type === 'booking.flight_cancelled');
      expect(notifications).toHaveLength(6);
      expect(new Set(notifications.map((notification) => notification.data.bookingId))).toEqual(
        new Set(bookings.map((booking) => booking.id)),
      );
      for (const notification of notifications) {
        expect(notification.data).toMatchObject({
          flightId: hit.id,
          flightNumber: hit.flightNumber,
          segment: 'outbound',
          suspensionId: suspension.body.id,
        });
        // Only flights that fit the kept stay (landing at the resort on its check-in date) with a seat for every guest:
        // not the day before on the same route, nor the flight 5 days later, nor the one with a single seat.
        expect(notification.data.alternatives.map((alternative: any) => alternative.flightId)).toEqual([sameDayOtherRoute.id]);
      }
      expect(
        [dayBefore.id, farAway.id, sameDayTooSmall.id].every((id) =>
          notifications.every((n) => !JSON.stringify(n.data.alternatives).includes(id)),
        ),
      ).toBe(true);
      // What is offered is what PUT …/flights accepts.
      const rebooked = await agent.put(`/v1/bookings/${bookings[1].id}/flights`, {
        outboundFlightId: notifications[0].data.alternatives[0].flightId,
        returnFlightId: leaving.id,
      });
      expect(rebooked.status).toBe(200);
      expect(rebooked.body).toMatchObject({ outboundFlightId: sameDayOtherRoute.id, returnFlightId: leaving.id });

      // New flights in the window are refused; a second disruption run changes nothing.
      const inWindow = await stack.operations.post('/v1/flights', {
        routeId,
        flightNumber: 'KR7777',
        departureAt: `${suspendedDay}T18:00:00+09:00`,
        arrivalAt: `${suspendedDay}T19:00:00+09:00`,
        seats: 10,
      });
      expect(inWindow.status).toBe(409);
      const { rows } = await stack.database.pool.query(
        `SELECT count(*)::int AS count FROM notifications WHERE type = 'booking.flight_cancelled' AND data->>'flightId' = $1`,
        [hit.id],
      );
      expect(rows[0].count).toBe(6);
    });

    it('takes hundreds of bookings off a cancelled flight in chunks, each notified once', async () => {
      const checkIn = dateFromToday(75);
      const big = await arrivingOn(checkIn, 1000);
      const bookingIds: string[] = [];
      for (let start = 0; start < 600; start += 100) {
        const created = await Promise.all(
          Array.from({ length: 100 }, (_, index) =>
            agents[index % 2].createBooking({
              checkIn,
              checkOut: dateFromToday(77),
              guests: [guest('RU', `Chunk ${start + index}`)],
              outboundFlightId: big.id,
            }),
          ),
        );
        expect(created.map((result) => result.status)).toEqual(Array(100).fill(201));
        bookingIds.push(...created.map((result) => result.body.id));
      }
      expect((await flight(big.id)).seatsReserved).toBe(600);

      const cancelled = await stack.operations.post(`/v1/flights/${big.id}/cancel`, { reason: 'Aircraft grounded' });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', disruption: { affectedBookings: 600 } });
      expect((await stack.operations.post(`/v1/flights/${big.id}/cancel`, { reason: 'Again' })).body.code).toBe('invalid_state');
      const done = await waitForDisruption(big.id);
      expect(done).toMatchObject({ seatsReserved: 0, disruption: { state: 'completed', affectedBookings: 600, releasedBookings: 600 } });
      const { rows } = await stack.database.pool.query(
        `SELECT count(*)::int AS notified, count(DISTINCT data->>'bookingId')::int AS bookings FROM notifications
          WHERE type = 'booking.flight_cancelled' AND data->>'flightId' = $1`,
        [big.id],
      );
      expect(rows[0]).toEqual({ notified: 600, bookings: 600 });
      const live = await stack.database.pool.query(
        `SELECT count(*)::int AS count FROM bookings WHERE id = ANY($1::uuid[]) AND status = 'confirmed' AND outbound_flight_id IS NULL`,
        [bookingIds],
      );
      expect(live.rows[0].count).toBe(600);
    });

    it('finishes a disruption whose worker died mid-way, releasing and notifying each booking once', async () => {
      const checkIn = dateFromToday(80);
      const big = await arrivingOn(checkIn, 1000);
      for (let start = 0; start < 800; start += 100) {
        const created = await Promise.all(
          Array.from({ length: 100 }, (_, index) =>
            agents[index % 2].createBooking({
              checkIn,
              checkOut: dateFromToday(81),
              guests: [guest('RU', `Crash ${start + index}`)],
              outboundFlightId: big.id,
            }),
          ),
        );
        expect(created.every((result) => result.status === 201)).toBe(true);
      }
      expect((await stack.operations.post(`/v1/flights/${big.id}/cancel`, { reason: 'Runway closed' })).status).toBe(200);
      // Kill the worker as soon as it has started on the flight (or at the latest after 5 s).
      const killBy = Date.now() + 5_000;
      while ((await flight(big.id)).disruption.state === 'pending' && Date.now() < killBy)
        await new Promise((resolve) => setTimeout(resolve, 10));
      await stack.workers[0].kill();
      stack.startWorker();

      const done = await waitForDisruption(big.id);
      expect(done.disruption).toMatchObject({ state: 'completed', affectedBookings: 800, releasedBookings: 800 });
      expect(done.seatsReserved).toBe(0);
      const { rows } = await stack.database.pool.query(
        `SELECT count(*)::int AS notified, count(DISTINCT data->>'bookingId')::int AS bookings FROM notifications
          WHERE type = 'booking.flight_cancelled' AND data->>'flightId' = $1`,
        [big.id],
      );
      expect(rows[0]).toEqual({ notified: 800, bookings: 800 });
    }, 90_000);

    it('finishes a disruption whose job was lost, through the periodic reconciler', async () => {
      const checkIn = dateFromToday(62);
      const arriving = await arrivingOn(checkIn, 10);
      const booking = await agents[0].createBooking({
        checkIn,
        checkOut: dateFromToday(63),
        guests: [guest('RU', 'Olga')],
        outboundFlightId: arriving.id,
      });
      expect(booking.status).toBe(201);
      // What a cancellation leaves behind when Redis lost its job: the flight cancelled, the disruption pending, no job.
      await stack.database.pool.query(
        `UPDATE flights SET status = 'cancelled', cancellation_reason = 'Lost job', cancelled_at = now(), disruption_state = 'pending',
                disruption_affected_bookings = 1, updated_at = now() - interval '1 minute'
          WHERE id = $1`,
        [arriving.id],
      );
      const done = await waitForDisruption(arriving.id);
      expect(done).toMatchObject({ seatsReserved: 0, disruption: { state: 'completed', releasedBookings: 1 } });
      expect((await agents[0].get(`/v1/bookings/${booking.body.id}`)).body).toMatchObject({ status: 'confirmed', outboundFlightId: null });
    });

    it('releases everything exactly once for a booking on a cancelled flight that is also hit by a ban', async () => {
      const checkIn = dateFromToday(65);
      const checkOut = dateFromToday(67);
      const arriving = await arrivingOn(checkIn, 30);
      const leaving = await leavingOn(checkOut, 30);
      const bookings = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          agents[index % 2].createBooking({
            checkIn,
            checkOut,
            guests: [guest('JP', `Tanaka ${index}`)],
            outboundFlightId: arriving.id,
            returnFlightId: leaving.id,
          }),
        ),
      );
      expect(bookings.map((booking) => booking.status)).toEqual(Array(10).fill(201));
      expect(await nightReserved(checkIn)).toBe(10);

      // The flight cancellation and the ban race each other over the same bookings.
      const [cancelled, ban] = await Promise.all([
        stack.operations.post(`/v1/flights/${arriving.id}/cancel`, { reason: 'Crew strike' }),
        stack.operations.post('/v1/restrictions', {
          nationalities: ['JP'],
          effectiveFrom: new Date().toISOString(),
          reason: 'Entry suspended',
        }),
      ]);
      expect(cancelled.status).toBe(200);
      expect(ban.status).toBe(201);
      await waitForDisruption(arriving.id);
      await waitFor(
        () => stack.operations.get(`/v1/restrictions/${ban.body.id}`),
        (restriction) => restriction.body.enforcement?.state === 'completed',
        { timeoutMs: 30_000, intervalMs: 200, onTimeout: () => new Error('ban enforcement did not complete') },
      );

      const { rows } = await stack.database.pool.query(`SELECT status FROM bookings WHERE id = ANY($1::uuid[])`, [
        bookings.map((booking) => booking.body.id),
      ]);
      expect(rows.map((row) => row.status)).toEqual(Array(10).fill('cancelled'));
      expect(await nightReserved(checkIn)).toBe(0);
      expect((await flight(arriving.id)).seatsReserved).toBe(0);
      expect((await flight(leaving.id)).seatsReserved).toBe(0);
      expect(await liveGuestsOn(leaving.id)).toBe(0);
      const invariant = await stack.database.pool.query(
        `SELECT count(*)::int AS broken FROM flights WHERE seats_reserved < 0 OR seats_reserved > seats`,
      );
      expect(invariant.rows[0].broken).toBe(0);
    });
  });

  it('keeps seats_reserved equal to the live guests on every flight', async () => {
    const { rows } = await stack.database.pool.query<{ id: string; reserved: number; live: string }>(
      `SELECT f.id, f.seats_reserved AS reserved,
              (SELECT coalesce(sum(b.guest_count), 0) FROM bookings b
                WHERE b.status IN ('held', 'confirmed') AND (b.outbound_flight_id = f.id OR b.return_flight_id = f.id))::text AS live
         FROM flights f`,
    );
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) expect({ id: row.id, reserved: row.reserved }).toEqual({ id: row.id, reserved: Number(row.live) });
  });
});
