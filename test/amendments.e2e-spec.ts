import fc from 'fast-check';
import { RESTRICTIONS_ADVISORY_LOCK } from '#libs/restrictions';
import {
  amend,
  bookOrFail,
  FlightFactory,
  holdCountersOutOfBalance,
  party,
  setCapacity,
  uniqueKey,
  writableState,
} from './support/amendment-helpers';
import { brokenInvariants } from './support/database-snapshot';
import { dateFromToday, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { waitFor, WebhookReceiver } from './support/webhook-receiver';

const day = (offset: number): string => dateFromToday(offset);

/** Amendments, versions and preconditions, one API process, against the real database. */
describe('booking amendments, versions and If-Match', () => {
  let stack: KalmaStack;
  let operations: KalmaClient;
  let agent: KalmaClient;
  let otherAgent: KalmaClient;
  let flights: FlightFactory;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    stack = await startKalmaStack({
      apiCount: 1,
      workerCount: 1,
      env: { MAX_HELD_GUESTS_PER_AGENCY: '10', WEBHOOK_DISPATCH_INTERVAL_MS: '200' },
    });
    operations = stack.operations;
    const agency = await operations.createAgencyWithAgentKey('Amending agency', `${receiver.baseUrl}/amending`);
    agent = operations.as(agency.agentKey);
    otherAgent = operations.as((await operations.createAgencyWithAgentKey()).agentKey);
    flights = new FlightFactory(operations);
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  describe('version and ETag', () => {
    it('is 1 at creation and +1 on every change, in the body and the ETag of every booking answer', async () => {
      const outbound = await flights.arriving(day(3), 10);
      const created = await agent.createBooking({ checkIn: day(3), checkOut: day(5), guests: party(2), hold: true });
      expect(created.status).toBe(201);
      expect(created.body.version).toBe(1);
      expect(created.headers.get('etag')).toBe('"1"');
      const id = created.body.id;
      const read = await agent.get(`/v1/bookings/${id}`);
      expect([read.body.version, read.headers.get('etag')]).toEqual([1, '"1"']);

      const confirmed = await agent.post(`/v1/bookings/${id}/confirm`, undefined, { 'if-match': '"1"' });
      expect([confirmed.status, confirmed.body.version, confirmed.headers.get('etag')]).toEqual([200, 2, '"2"']);
      const withFlight = await agent.request('PUT', `/v1/bookings/${id}/flights`, { outboundFlightId: outbound }, { 'if-match': '"2"' });
      expect([withFlight.status, withFlight.body.version, withFlight.headers.get('etag')]).toEqual([200, 3, '"3"']);
      const amended = await amend(agent, id, { checkOut: day(6) }, { 'if-match': '"3"' });
      expect([amended.status, amended.body.version, amended.headers.get('etag')]).toEqual([200, 4, '"4"']);
      // Confirming a confirmed booking changes nothing, so its version stays.
      const again = await agent.post(`/v1/bookings/${id}/confirm`);
      expect([again.status, again.body.version]).toEqual([200, 4]);
      const cancelled = await agent.post(`/v1/bookings/${id}/cancel`, undefined, { 'if-match': '"4"' });
      expect([cancelled.status, cancelled.body.status, cancelled.body.version, cancelled.headers.get('etag')]).toEqual([
        200,
        'cancelled',
        5,
        '"5"',
      ]);
      // Lists carry versions but no ETag.
      const list = await agent.get('/v1/bookings?limit=5');
      expect(list.headers.get('etag')).toBeNull();
      expect(list.body.data.find((booking: any) => booking.id === id).version).toBe(5);
    });

    it('no writer can forget or set it: the trigger counts every changing UPDATE, and only those', async () => {
      const booking = await bookOrFail(agent, { checkIn: day(3), checkOut: day(4), guests: party(1) });
      const pool = stack.database.pool;
      await pool.query(`UPDATE bookings SET version = 100, updated_at = now() WHERE id = $1`, [booking.id]);
      await pool.query(`UPDATE bookings SET status = status WHERE id = $1`, [booking.id]);
      await pool.query(`UPDATE bookings SET guests = guests || '[]'::jsonb WHERE id = $1`, [booking.id]);
      const { rows } = await pool.query(`SELECT version FROM bookings WHERE id = $1`, [booking.id]);
      expect(rows[0].version).toBe(2);
    });

    it('a stale If-Match is 412 version_mismatch on PATCH, confirm, cancel, keep and PUT flights, and changes nothing', async () => {
      const held = await bookOrFail(agent, { checkIn: day(7), checkOut: day(9), guests: party(2), hold: true });
      const moved = await amend(agent, held.id, { checkOut: day(10) });
      expect(moved.body.version).toBe(2);
      const before = await writableState(stack.database.pool);
      const attempts = [
        amend(agent, held.id, { checkOut: day(11) }, { 'if-match': '"1"' }),
        agent.post(`/v1/bookings/${held.id}/confirm`, undefined, { 'if-match': '"1"' }),
        agent.post(`/v1/bookings/${held.id}/cancel`, undefined, { 'if-match': '"1"' }),
        agent.post(`/v1/bookings/${held.id}/keep`, undefined, { 'if-match': '"1"' }),
        agent.request('PUT', `/v1/bookings/${held.id}/flights`, {}, { 'if-match': '"1", "3"' }),
      ];
      for (const refused of await Promise.all(attempts)) {
        expect(refused.status).toBe(412);
        expect(refused.headers.get('content-type')).toContain('application/problem+json');
        expect(refused.body).toMatchObject({ code: 'version_mismatch', currentVersion: 2 });
      }
      expect(await writableState(stack.database.pool)).toEqual(before);
      // The current version, a list naming it, or * go through.
      expect((await amend(agent, held.id, { checkOut: day(11) }, { 'if-match': '"1", "2"' })).status).toBe(200);
      expect((await agent.post(`/v1/bookings/${held.id}/confirm`, undefined, { 'if-match': '*' })).body).toMatchObject({
        status: 'confirmed',
        version: 4,
      });
    });

    it('a malformed If-Match is 400 validation_failed before anything is looked at', async () => {
      const booking = await bookOrFail(agent, { checkIn: day(7), checkOut: day(8), guests: party(1) });
      for (const header of ['3', 'W/"1"', '"one"', '"1",,', '"0"', '']) {
        const refused = await amend(agent, booking.id, { checkOut: day(9) }, { 'if-match': header });
        expect([refused.status, refused.body.code]).toEqual([400, 'validation_failed']);
        expect((await agent.post(`/v1/bookings/${booking.id}/cancel`, undefined, { 'if-match': header })).status).toBe(400);
      }
      expect((await agent.get(`/v1/bookings/${booking.id}`)).body).toMatchObject({ status: 'confirmed', version: 1 });
    });
  });

  describe('what an amendment may change', () => {
    it('a one-night shift and a shrink work on full nights, as if the old reservation were released', async () => {
      await setCapacity(operations, 20, 24, 2);
      const booking = await bookOrFail(agent, { checkIn: day(20), checkOut: day(22), guests: party(2) });
      const shifted = await amend(agent, booking.id, { checkIn: day(21), checkOut: day(23) });
      expect(shifted.status).toBe(200);
      expect(shifted.body).toMatchObject({ checkIn: day(21), checkOut: day(23), nights: 2, guestCount: 2, version: 2 });
      const calendar = await agent.get(`/v1/capacity?from=${day(20)}&to=${day(24)}`);
      expect(calendar.body.nights.map((night: any) => night.reserved)).toEqual([0, 2, 2, 0]);

      const shrunk = await amend(agent, booking.id, { guests: party(1, ['KP'], 'Kept') });
      expect(shrunk.body).toMatchObject({ guestCount: 1, guests: [{ fullName: 'Kept 1', nationality: 'KP' }] });
      const grownBack = await amend(agent, booking.id, { guests: party(2) });
      expect(grownBack.status).toBe(200);
      expect((await agent.get(`/v1/capacity?from=${day(20)}&to=${day(24)}`)).body.nights.map((night: any) => night.available)).toEqual([
        2, 0, 0, 2,
      ]);
      expect(await brokenInvariants(stack.database.pool)).toEqual([]);
    });

    it('more guests than a night has left is 409 capacity_exhausted with the same members as creation', async () => {
      await setCapacity(operations, 25, 27, 3);
      const booking = await bookOrFail(agent, { checkIn: day(25), checkOut: day(27), guests: party(2) });
      await bookOrFail(otherAgent, { checkIn: day(26), checkOut: day(27), guests: party(1) });
      const before = await writableState(stack.database.pool);
      const refused = await amend(agent, booking.id, { guests: party(3) });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'capacity_exhausted', shortNights: [{ date: day(26), requested: 3, available: 2 }] });
      expect(await writableState(stack.database.pool)).toEqual(before);
      const created = await otherAgent.createBooking({ checkIn: day(26), checkOut: day(27), guests: party(3) });
      expect(created.status).toBe(409);
      expect(Object.keys(refused.body).sort()).toEqual(Object.keys(created.body).sort());
    });

    it('flights: a new flight, a segment removed with null, a kept flight that no longer fits, seats decided as if released', async () => {
      const arriving = await flights.arriving(day(30), 2);
      const leaving = await flights.leaving(day(33), 2);
      const laterLeaving = await flights.leaving(day(34), 2);
      const booking = await bookOrFail(agent, {
        checkIn: day(30),
        checkOut: day(33),
        guests: party(2),
        outboundFlightId: arriving,
        returnFlightId: leaving,
      });

      // The return flight is kept but no longer leaves on the new check-out date.
      let before = await writableState(stack.database.pool);
      const mismatch = await amend(agent, booking.id, { checkOut: day(34) });
      expect(mismatch.status).toBe(422);
      expect(mismatch.body).toMatchObject({ code: 'flight_mismatch', segment: 'return' });
      expect(await writableState(stack.database.pool)).toEqual(before);

      const moved = await amend(agent, booking.id, { checkOut: day(34), returnFlightId: laterLeaving });
      expect(moved.body).toMatchObject({ checkOut: day(34), returnFlightId: laterLeaving, outboundFlightId: arriving });
      // Full flights: a shrink on them works, a growth is seats_exhausted (or capacity first, if nights were short).
      before = await writableState(stack.database.pool);
      const grown = await amend(agent, booking.id, { guests: party(3) });
      expect(grown.status).toBe(409);
      expect(grown.body).toMatchObject({ code: 'seats_exhausted' });
      expect(grown.body.shortFlights).toEqual(
        expect.arrayContaining([
          { flightId: arriving, segment: 'outbound', requested: 3, available: 2 },
          { flightId: laterLeaving, segment: 'return', requested: 3, available: 2 },
        ]),
      );
      expect(await writableState(stack.database.pool)).toEqual(before);
      const withoutOutbound = await amend(agent, booking.id, { outboundFlightId: null, guests: party(1) });
      expect(withoutOutbound.body).toMatchObject({ outboundFlightId: null, returnFlightId: laterLeaving, guestCount: 1 });
      const seats = async (id: string): Promise<number> => (await operations.get(`/v1/flights/${id}`)).body.seatsReserved;
      expect([await seats(arriving), await seats(leaving), await seats(laterLeaving)]).toEqual([0, 0, 1]);

      const unknown = await amend(agent, booking.id, { outboundFlightId: '00000000-0000-4000-8000-000000000000' });
      expect(unknown.status).toBe(422);
      expect(unknown.body).toMatchObject({ code: 'flight_mismatch', reason: 'unknown_flight' });
      const cancelledFlight = await flights.arriving(day(30), 5);
      expect((await operations.post(`/v1/flights/${cancelledFlight}/cancel`, { reason: 'Weather' })).status).toBe(200);
      before = await writableState(stack.database.pool);
      const unavailable = await amend(agent, booking.id, { outboundFlightId: cancelledFlight });
      expect(unavailable.status).toBe(409);
      expect(unavailable.body).toMatchObject({ code: 'flight_unavailable', reason: 'cancelled' });
      expect(await writableState(stack.database.pool)).toEqual(before);
      expect(await brokenInvariants(stack.database.pool)).toEqual([]);
    });

    it('every rule of a new booking, and bad input, is refused with nothing changed', async () => {
      const booking = await bookOrFail(agent, { checkIn: day(40), checkOut: day(42), guests: party(2) });
      const path = `/v1/bookings/${booking.id}`;
      const cases: [unknown, number, string][] = [
        [{}, 400, 'validation_failed'],
        [{ checkIn: day(40) }, 400, 'validation_failed'], // changes nothing
        [{ checkIn: day(40), checkOut: day(42), guests: party(2) }, 400, 'validation_failed'], // the same, all of it
        [{ checkOut: day(39) }, 400, 'validation_failed'],
        [{ checkOut: day(40) }, 400, 'validation_failed'],
        [{ checkOut: day(40 + 31) }, 400, 'validation_failed'],
        [{ checkIn: day(-2) }, 400, 'validation_failed'],
        [{ checkIn: day(402), checkOut: day(403) }, 400, 'validation_failed'],
        [{ checkIn: '2027-02-30' }, 400, 'validation_failed'],
        [{ checkIn: null }, 400, 'validation_failed'],
        [{ guests: null }, 400, 'validation_failed'],
        [{ guests: [] }, 400, 'validation_failed'],
        [{ guests: party(51) }, 400, 'validation_failed'],
        [{ guests: [{ fullName: 'Lower Case', nationality: 'ru' }] }, 400, 'validation_failed'],
        [{ guests: [{ fullName: 'Unborn', nationality: 'RU', dateOfBirth: day(30) }] }, 400, 'validation_failed'],
        [{ checkOut: day(43), hold: true }, 400, 'validation_failed'], // unknown field
        [{ checkOut: day(43), status: 'cancelled' }, 400, 'validation_failed'],
        [{ outboundFlightId: 'not-a-uuid' }, 400, 'validation_failed'],
        ['not json', 400, 'validation_failed'],
      ];
      const before = await writableState(stack.database.pool);
      for (const [body, status, code] of cases) {
        const refused = await agent.request('PATCH', path, body);
        expect({ body, status: refused.status, code: refused.body?.code }).toEqual({ body, status, code });
      }
      // Another agency's booking does not exist for it.
      expect((await amend(otherAgent, booking.id, { checkOut: day(43) })).status).toBe(404);
      expect((await amend(agent, '00000000-0000-4000-8000-000000000000', { checkOut: day(43) })).status).toBe(404);
      expect(await writableState(stack.database.pool)).toEqual(before);

      expect((await agent.post(`/v1/bookings/${booking.id}/cancel`)).status).toBe(200);
      const cancelledState = await writableState(stack.database.pool);
      const cancelled = await amend(agent, booking.id, { checkOut: day(43) });
      expect([cancelled.status, cancelled.body.code]).toEqual([409, 'invalid_state']);
      expect(await writableState(stack.database.pool)).toEqual(cancelledState);
    });

    it('a restriction scheduled or active for the new check-in covering any guest of the new party is 422 nationality_restricted', async () => {
      const booking = await bookOrFail(agent, { checkIn: day(45), checkOut: day(47), guests: party(2) });
      const ban = await operations.post('/v1/restrictions', {
        nationalities: ['NZ'],
        effectiveFrom: `${day(50)}T00:00:00+09:00`,
        effectiveUntil: `${day(60)}T00:00:00+09:00`,
        reason: 'Amendment rules',
      });
      expect(ban.status).toBe(201);
      const before = await writableState(stack.database.pool);
      // A covered guest joining a stay that moves into the window; also the whole party replaced.
      for (const body of [
        { checkIn: day(52), checkOut: day(54), guests: [...party(1), { fullName: 'Kiwi', nationality: 'NZ' }] },
        { checkIn: day(50), checkOut: day(51), guests: party(1, ['NZ']) },
      ]) {
        const refused = await amend(agent, booking.id, body);
        expect(refused.status).toBe(422);
        expect(refused.body).toMatchObject({ code: 'nationality_restricted', restrictionId: ban.body.id });
      }
      expect(await writableState(stack.database.pool)).toEqual(before);
      // Outside the window, or without a covered guest, it is fine.
      expect((await amend(agent, booking.id, { guests: [...party(1), { fullName: 'Kiwi', nationality: 'NZ' }] })).status).toBe(200);
      const moving = await amend(agent, booking.id, { checkIn: day(52), checkOut: day(53) });
      expect(moving.status).toBe(422);
      expect((await amend(agent, booking.id, { checkIn: day(52), checkOut: day(53), guests: party(2) })).status).toBe(200);
      await operations.post(`/v1/restrictions/${ban.body.id}/lift`);
    });

    it('waits for a ban being created and then refuses the covered party: no amended booking slips past it', async () => {
      const booking = await bookOrFail(agent, { checkIn: day(62), checkOut: day(63), guests: party(1) });
      // This plays a restriction being created: the lock held exclusively and its row written, not yet committed.
      const creation = await stack.database.pool.connect();
      let amendment: Promise<any> | undefined;
      try {
        await creation.query('BEGIN');
        await creation.query('SELECT pg_advisory_xact_lock($1)', [RESTRICTIONS_ADVISORY_LOCK]);
        const { rows } = await creation.query(
          `INSERT INTO restrictions (nationalities, home_country, effective_from, window_from, reason)
           VALUES ('{TO}', 'KP', now() + interval '1 hour', $1, 'in flight') RETURNING id`,
          [day(0)],
        );
        let settled = false;
        amendment = amend(agent, booking.id, { guests: party(2, ['RU', 'TO']) }).finally(() => (settled = true));
        await new Promise((resolve) => setTimeout(resolve, 700));
        expect(settled).toBe(false);
        await creation.query('COMMIT');
        const refused = await amendment;
        expect(refused.status).toBe(422);
        expect(refused.body).toMatchObject({ code: 'nationality_restricted', restrictionId: rows[0].id });
        await stack.database.pool.query(`UPDATE restrictions SET lifted_at = now() WHERE id = $1`, [rows[0].id]);
      } finally {
        await creation.query('ROLLBACK').catch(() => undefined);
        creation.release();
        await amendment?.catch(() => undefined);
      }
      expect((await agent.get(`/v1/bookings/${booking.id}`)).body).toMatchObject({ guestCount: 1, version: 1 });
    });

    it('a held party keeps its hold, and may grow only within MAX_HELD_GUESTS_PER_AGENCY', async () => {
      const agency = await operations.createAgencyWithAgentKey();
      const holder = operations.as(agency.agentKey);
      const held = await bookOrFail(holder, { checkIn: day(64), checkOut: day(66), guests: party(4), hold: true });
      await bookOrFail(holder, { checkIn: day(64), checkOut: day(65), guests: party(4), hold: true });
      const grown = await amend(holder, held.id, { guests: party(6) });
      expect(grown.status).toBe(200);
      expect(grown.body).toMatchObject({ status: 'held', guestCount: 6, holdExpiresAt: held.holdExpiresAt });
      const before = await writableState(stack.database.pool);
      const refused = await amend(holder, held.id, { guests: party(7) });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'hold_limit_reached', limit: 10, held: 10, requested: 1 });
      expect(await writableState(stack.database.pool)).toEqual(before);
      const calendar = await holder.get(`/v1/capacity?from=${day(64)}&to=${day(66)}`);
      expect(calendar.body.nights.map((night: any) => night.held)).toEqual([10, 6]);
      expect(await holdCountersOutOfBalance(stack.database.pool)).toEqual([]);
      // Confirmed bookings are not limited.
      const confirmed = await bookOrFail(holder, { checkIn: day(64), checkOut: day(65), guests: party(2) });
      expect((await amend(holder, confirmed.id, { guests: party(12) })).status).toBe(200);
      expect(await brokenInvariants(stack.database.pool)).toEqual([]);
    });

    it('an expired hold is 409 invalid_state even before the sweep releases it', async () => {
      const held = await bookOrFail(agent, { checkIn: day(67), checkOut: day(68), guests: party(1), hold: true });
      await stack.database.pool.query(`UPDATE bookings SET hold_expires_at = now() - interval '1 second' WHERE id = $1`, [held.id]);
      const refused = await amend(agent, held.id, { checkOut: day(69) });
      expect([refused.status, refused.body.code]).toEqual([409, 'invalid_state']);
    });

    it('a pending decision (actionRequired) is answered by the amendment; past its deadline the booking cannot be amended', async () => {
      const restriction = await operations.post('/v1/restrictions', {
        nationalities: ['AQ'],
        effectiveFrom: `${day(300)}T00:00:00+09:00`,
        reason: 'Decision',
      });
      const pending = await bookOrFail(agent, { checkIn: day(70), checkOut: day(72), guests: party(2) });
      const overdue = await bookOrFail(agent, { checkIn: day(70), checkOut: day(72), guests: party(2) });
      for (const [id, deadline] of [
        [pending.id, "now() + interval '1 hour'"],
        [overdue.id, "now() - interval '1 second'"],
      ]) {
        await stack.database.pool.query(
          `UPDATE bookings SET action_required_reason = 'guests_removed', action_required_restriction_id = $2, action_required_deadline = ${deadline} WHERE id = $1`,
          [id, restriction.body.id],
        );
      }
      const answered = await amend(agent, pending.id, { checkOut: day(73) });
      expect(answered.status).toBe(200);
      expect(answered.body).toMatchObject({ actionRequired: null, checkOut: day(73) });
      const late = await amend(agent, overdue.id, { checkOut: day(73) });
      expect([late.status, late.body.code]).toEqual([409, 'invalid_state']);
      await operations.post(`/v1/restrictions/${restriction.body.id}/lift`);
    });
  });

  describe('Idempotency-Key', () => {
    it('the same key and body replay the first answer (status, body, ETag); another body is 422; it applies once', async () => {
      const booking = await bookOrFail(agent, { checkIn: day(80), checkOut: day(82), guests: party(2) });
      const key = uniqueKey();
      const first = await amend(agent, booking.id, { checkOut: day(83) }, { 'idempotency-key': key, 'if-match': '"1"' });
      expect([first.status, first.body.version]).toEqual([200, 2]);
      // A retry gets the first answer, even though its If-Match is stale by now.
      const retry = await amend(agent, booking.id, { checkOut: day(83) }, { 'idempotency-key': key, 'if-match': '"1"' });
      expect([retry.status, retry.body, retry.headers.get('etag')]).toEqual([200, first.body, '"2"']);
      const reused = await amend(agent, booking.id, { checkOut: day(84) }, { 'idempotency-key': key });
      expect([reused.status, reused.body.code]).toEqual([422, 'idempotency_key_reused']);
      expect((await agent.get(`/v1/bookings/${booking.id}`)).body).toMatchObject({ checkOut: day(83), version: 2 });
      expect((await amend(agent, booking.id, { checkOut: day(83) }, { 'idempotency-key': 'bad key with spaces' })).status).toBe(400);
    });

    it("key spaces: a PATCH never replays a POST's answer nor another booking's", async () => {
      const key = uniqueKey();
      const created = await agent.createBooking({ checkIn: day(85), checkOut: day(86), guests: party(1) }, key);
      expect(created.status).toBe(201);
      const other = await bookOrFail(agent, { checkIn: day(85), checkOut: day(86), guests: party(1) });
      const amended = await amend(agent, created.body.id, { checkOut: day(87) }, { 'idempotency-key': key });
      expect([amended.status, amended.body.checkOut, amended.body.version]).toEqual([200, day(87), 2]);
      const otherAmended = await amend(agent, other.id, { checkOut: day(87) }, { 'idempotency-key': key });
      expect([otherAmended.status, otherAmended.body.id, otherAmended.body.checkOut]).toEqual([200, other.id, day(87)]);
      // And the POST's key still replays the POST.
      const replayedPost = await agent.createBooking({ checkIn: day(85), checkOut: day(86), guests: party(1) }, key);
      expect([replayedPost.status, replayedPost.body]).toEqual([201, created.body]);
    });

    it('a refusal is the first answer too, and concurrent duplicates apply once', async () => {
      await setCapacity(operations, 88, 89, 2);
      const booking = await bookOrFail(agent, { checkIn: day(88), checkOut: day(89), guests: party(2) });
      const key = uniqueKey();
      const refused = await amend(agent, booking.id, { guests: party(3) }, { 'idempotency-key': key });
      expect([refused.status, refused.body.code]).toEqual([409, 'capacity_exhausted']);
      await setCapacity(operations, 88, 89, 5);
      const replayed = await amend(agent, booking.id, { guests: party(3) }, { 'idempotency-key': key });
      expect([replayed.status, replayed.body]).toEqual([409, refused.body]);
      expect(replayed.headers.get('content-type')).toContain('application/problem+json');

      const duplicateKey = uniqueKey();
      const duplicates = await Promise.all(
        Array.from({ length: 10 }, () => amend(agent, booking.id, { guests: party(4) }, { 'idempotency-key': duplicateKey })),
      );
      expect(duplicates.map((response) => response.status)).toEqual(Array(10).fill(200));
      for (const response of duplicates) expect(response.body).toEqual(duplicates[0].body);
      expect((await agent.get(`/v1/bookings/${booking.id}`)).body).toMatchObject({ guestCount: 4, version: 2 });
      expect(await brokenInvariants(stack.database.pool)).toEqual([]);
    });
  });

  describe('booking.amended', () => {
    it('an amendment by operations notifies the agency in the same transaction (inbox and webhook), with counts and nationalities only', async () => {
      const booking = await bookOrFail(agent, {
        checkIn: day(90),
        checkOut: day(92),
        guests: [{ fullName: 'Anna Secret', nationality: 'RU', passportNumber: 'P1234567', dateOfBirth: '1980-01-02' }],
      });
      // The agent's own amendments are not notified.
      expect((await amend(agent, booking.id, { checkOut: day(93) })).status).toBe(200);
      const amended = await amend(operations, booking.id, {
        checkIn: day(91),
        guests: [
          { fullName: 'Anna Secret', nationality: 'RU', passportNumber: 'P1234567', dateOfBirth: '1980-01-02' },
          { fullName: 'Boris Hidden', nationality: 'BY', passportNumber: 'P7654321', dateOfBirth: '1979-03-04' },
        ],
      });
      expect(amended.status).toBe(200);
      const inbox = await agent.get('/v1/notifications?limit=100');
      const notices = inbox.body.data.filter((notification: any) => notification.data.bookingId === booking.id);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatchObject({
        type: 'booking.amended',
        data: {
          bookingId: booking.id,
          reference: booking.reference,
          version: 3,
          changes: {
            checkIn: { from: day(90), to: day(91) },
            guests: { from: { count: 1, nationalities: { RU: 1 } }, to: { count: 2, nationalities: { BY: 1, RU: 1 } } },
          },
        },
      });
      expect(Object.keys(notices[0].data.changes).sort()).toEqual(['checkIn', 'guests']);
      expect(JSON.stringify(notices[0])).not.toMatch(/Anna|Boris|P1234567|P7654321|1980-01-02|1979-03-04/);
      const delivered = await waitFor(
        () => receiver.requestsFor(notices[0].id),
        (requests) => requests.length > 0,
      );
      expect(delivered.length).toBeGreaterThan(0);
      expect(JSON.parse(delivered[0].body)).toMatchObject({ type: 'booking.amended', data: { bookingId: booking.id, version: 3 } });
      expect(delivered[0].body).not.toMatch(/Anna|Boris|P1234567/);
    });

    it('a refused operations amendment writes no notification', async () => {
      await setCapacity(operations, 95, 96, 1);
      const booking = await bookOrFail(agent, { checkIn: day(95), checkOut: day(96), guests: party(1) });
      const before = await writableState(stack.database.pool);
      expect((await amend(operations, booking.id, { guests: party(2) })).status).toBe(409);
      expect(await writableState(stack.database.pool)).toEqual(before);
    });
  });

  it('property: over random amendments the nights and seats equal the live bookings, and a refusal changes nothing', async () => {
    const first = 110;
    const nights = 6;
    await setCapacity(operations, first, first + nights + 1, 6);
    const arrivals: string[] = [];
    const departures: string[] = [];
    for (let index = 0; index < nights; index++) {
      arrivals.push(await flights.arriving(day(first + index), 4));
      departures.push(await flights.leaving(day(first + 1 + index), 4));
    }
    const bookings: string[] = [];
    for (let index = 0; index < 3; index++) {
      bookings.push(
        (
          await bookOrFail(agent, {
            checkIn: day(first + index),
            checkOut: day(first + index + 2),
            guests: party(1 + index),
            hold: index === 1,
          })
        ).id,
      );
    }
    const amendment = fc.record(
      {
        booking: fc.nat({ max: bookings.length - 1 }),
        start: fc.nat({ max: nights - 1 }),
        length: fc.integer({ min: 1, max: 3 }),
        guests: fc.integer({ min: 1, max: 5 }),
        outbound: fc.constantFrom('keep', 'fitting', 'none'),
        return: fc.constantFrom('keep', 'fitting', 'none'),
      },
      { requiredKeys: ['booking'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(amendment, { minLength: 1, maxLength: 6 }), async (steps) => {
        for (const step of steps) {
          const id = bookings[step.booking];
          const current = (await agent.get(`/v1/bookings/${id}`)).body;
          const start = step.start ?? Math.round((Date.parse(current.checkIn) - Date.parse(day(first))) / 86_400_000);
          const end = Math.min(start + (step.length ?? current.nights), nights);
          const body: Record<string, unknown> = {};
          if (step.start !== undefined) body.checkIn = day(first + start);
          if (step.length !== undefined || step.start !== undefined) body.checkOut = day(first + end);
          if (step.guests !== undefined) body.guests = party(step.guests);
          if (step.outbound === 'fitting') body.outboundFlightId = arrivals[start];
          if (step.outbound === 'none') body.outboundFlightId = null;
          if (step.return === 'fitting') body.returnFlightId = departures[end - 1];
          if (step.return === 'none') body.returnFlightId = null;
          const before = await writableState(stack.database.pool);
          const answer = await amend(agent, id, body, { 'if-match': `"${current.version}"` });
          if (answer.status === 200) {
            expect(answer.body.version).toBe(current.version + 1);
          } else {
            // Refused: no-op and rule refusals are 400, capacity 409, flights that no longer fit 422.
            expect([400, 409, 422]).toContain(answer.status);
            expect(await writableState(stack.database.pool)).toEqual(before);
          }
          expect(await brokenInvariants(stack.database.pool)).toEqual([]);
          expect(await holdCountersOutOfBalance(stack.database.pool)).toEqual([]);
        }
      }),
      { numRuns: 12 },
    );
  });
});
