import { randomUUID } from 'node:crypto';
import { dateFromToday, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { pageThrough } from './support/pagination';
import {
  enforcementCompleted,
  instantFromNow,
  seedBookings,
  waitForEnforcingWorker,
  waitForRestriction,
} from './support/restriction-helpers';
import { waitFor } from '../scripts/harness';

/** Personal data the guests of this suite carry: none of it may ever reach the audit table. */
const SECRET_NAME = 'Zorvath Quillbeck';
const SECRET_PASSPORT = 'P7319946';
const SECRET_BIRTH_DATE = '1983-11-27';

function guestWithPersonalData(nationality: string, index = 0): Record<string, string> {
  return { fullName: `${SECRET_NAME} ${index}`, nationality, passportNumber: `${SECRET_PASSPORT}${index}`, dateOfBirth: SECRET_BIRTH_DATE };
}

/** The part of an event the scripted day checks: what, on what, by whom, why, and from which request. */
interface Expected {
  action: string;
  entityId: string;
  actor: { type: 'system' } | { type: 'api_key'; keyId: string };
  cause: { type: string; id?: string };
  requestId: string | null;
}

/**
 * The audit trail end to end: real API and worker processes against PostgreSQL and Redis. The
 * request paths and the jobs (enforcement, disruptions) write their events in the transaction of
 * the change; the list and a booking's history read them back.
 */
describe('audit trail', () => {
  let stack: KalmaStack;
  let operations: KalmaClient;
  let operationsKeyId: string;

  beforeAll(async () => {
    // Sweeps every second: the hold-expiry and party-decision sweeps act within moments of a due time.
    stack = await startKalmaStack({ apiCount: 1, workerCount: 1, env: { SWEEP_INTERVAL_SECONDS: '1' } });
    operations = stack.operations;
    await waitForEnforcingWorker(operations);
    const { rows } = await stack.database.pool.query<{ id: string }>(
      `SELECT id FROM api_keys WHERE agency_id IS NULL AND role = 'operations'`,
    );
    operationsKeyId = rows[0].id;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** Sends a request with a fresh x-request-id; returns the response and that id. */
  async function send(
    client: KalmaClient,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: any; requestId: string }> {
    const requestId = `test-${randomUUID()}`;
    const response = await client.request(method, path, body ?? (method === 'GET' || method === 'DELETE' ? undefined : {}), {
      'x-request-id': requestId,
    });
    return { status: response.status, body: response.body, requestId };
  }

  async function sendOk(client: KalmaClient, method: string, path: string, body?: unknown): Promise<{ body: any; requestId: string }> {
    const response = await send(client, method, path, body);
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
    return response;
  }

  async function waitForDisruption(flightId: string): Promise<void> {
    await waitFor(
      () => operations.get(`/v1/flights/${flightId}`),
      (flight) => flight.body.disruption?.state === 'completed',
      { timeoutMs: 30_000, onTimeout: (flight) => new Error(`disruption of ${flightId} did not complete: ${JSON.stringify(flight.body)}`) },
    );
  }

  /** Every event at or after `from`, oldest first (the list is newest first). */
  async function eventsSince(from: string, query = ''): Promise<any[]> {
    const events: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await operations.get(
        `/v1/audit-events?from=${encodeURIComponent(from)}&limit=200${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status).toBe(200);
      events.push(...page.body.data);
      cursor = page.body.nextCursor;
    } while (cursor);
    return events.reverse();
  }

  const byKey = (keyId: string) => ({ type: 'api_key' as const, keyId });
  const system = { type: 'system' as const };
  const request = { type: 'request' };

  it('records a scripted day exactly: every change in order, with its actor, cause and request id', async () => {
    const startedAt = new Date(Date.now() - 1).toISOString();
    const expected: Expected[] = [];
    const byOperations = (action: string, entityId: string, requestId: string, cause: Expected['cause'] = request): void => {
      expected.push({ action, entityId, actor: byKey(operationsKeyId), cause, requestId });
    };

    // Morning: an agency, its key, two routes and their flights.
    const agency = await sendOk(operations, 'POST', '/v1/agencies', { name: `Audit day ${randomUUID().slice(0, 6)}` });
    byOperations('agency.created', agency.body.id, agency.requestId);
    const key = await sendOk(operations, 'POST', `/v1/agencies/${agency.body.id}/api-keys`, { label: 'desk' });
    byOperations('api_key.created', key.body.id, key.requestId);
    const agent = operations.as(key.body.key);
    const agentKeyId: string = key.body.id;

    const checkIn = dateFromToday(30);
    const checkOut = dateFromToday(33);
    const routeA = await sendOk(operations, 'POST', '/v1/routes', { origin: 'VVO', destination: 'WOS' });
    byOperations('route.created', routeA.body.id, routeA.requestId);
    const routeB = await sendOk(operations, 'POST', '/v1/routes', { origin: 'FNJ', destination: 'WOS' });
    byOperations('route.created', routeB.body.id, routeB.requestId);
    const flightA = await sendOk(operations, 'POST', '/v1/flights', {
      routeId: routeA.body.id,
      flightNumber: 'AU101',
      departureAt: `${checkIn}T09:00:00+10:00`,
      arrivalAt: `${checkIn}T12:00:00+09:00`,
      seats: 100,
    });
    byOperations('flight.created', flightA.body.id, flightA.requestId);
    const flightB = await sendOk(operations, 'POST', '/v1/flights', {
      routeId: routeB.body.id,
      flightNumber: 'AU202',
      departureAt: `${checkIn}T10:00:00+09:00`,
      arrivalAt: `${checkIn}T11:00:00+09:00`,
      seats: 100,
    });
    byOperations('flight.created', flightB.body.id, flightB.requestId);

    // The agent books one stay on flight A, holds one on flight B and confirms it, books a British party, and amends the first stay.
    const byAgent = (action: string, entityId: string, requestId: string): void => {
      expected.push({ action, entityId, actor: byKey(agentKeyId), cause: request, requestId });
    };
    const booked = await sendOk(agent, 'POST', '/v1/bookings', {
      checkIn,
      checkOut,
      guests: [guestWithPersonalData('RU', 1), guestWithPersonalData('RU', 2)],
      outboundFlightId: flightA.body.id,
    });
    byAgent('booking.created', booked.body.id, booked.requestId);
    const held = await sendOk(agent, 'POST', '/v1/bookings', {
      checkIn,
      checkOut,
      guests: [guestWithPersonalData('KZ', 3)],
      hold: true,
      outboundFlightId: flightB.body.id,
    });
    byAgent('booking.created', held.body.id, held.requestId);
    const confirmed = await sendOk(agent, 'POST', `/v1/bookings/${held.body.id}/confirm`);
    byAgent('booking.confirmed', held.body.id, confirmed.requestId);
    const british = await sendOk(agent, 'POST', '/v1/bookings', {
      checkIn,
      checkOut,
      guests: [guestWithPersonalData('GB', 4), guestWithPersonalData('GB', 5)],
    });
    byAgent('booking.created', british.body.id, british.requestId);
    const amended = await sendOk(agent, 'PATCH', `/v1/bookings/${booked.body.id}`, {
      checkOut: dateFromToday(34),
      guests: [guestWithPersonalData('RU', 1), guestWithPersonalData('KZ', 6)],
    });
    byAgent('booking.amended', booked.body.id, amended.requestId);

    // Operations set a night's capacity, ban the British (now), wait for the worker, and lift the ban.
    const capacity = await sendOk(operations, 'PUT', `/v1/capacity/${dateFromToday(31)}`, { capacity: 15000 });
    byOperations('capacity.set', dateFromToday(31), capacity.requestId);
    const ban = await sendOk(operations, 'POST', '/v1/restrictions', {
      nationalities: ['GB'],
      effectiveFrom: new Date().toISOString(),
      reason: 'Audit day ban',
    });
    byOperations('restriction.created', ban.body.id, ban.requestId);
    await waitForRestriction(operations, ban.body.id, enforcementCompleted);
    expected.push({
      action: 'restriction.enforcement_started',
      entityId: ban.body.id,
      actor: system,
      cause: { type: 'restriction' },
      requestId: null,
    });
    expected.push({
      action: 'booking.cancelled',
      entityId: british.body.id,
      actor: system,
      cause: { type: 'restriction', id: ban.body.id },
      requestId: null,
    });
    expected.push({
      action: 'restriction.enforcement_completed',
      entityId: ban.body.id,
      actor: system,
      cause: { type: 'restriction' },
      requestId: null,
    });
    const lifted = await sendOk(operations, 'POST', `/v1/restrictions/${ban.body.id}/lift`);
    byOperations('restriction.lifted', ban.body.id, lifted.requestId);

    // Flight A is cancelled (its booking loses the segment in the background); route B is suspended.
    const cancelledFlight = await sendOk(operations, 'POST', `/v1/flights/${flightA.body.id}/cancel`, { reason: 'Aircraft unavailable' });
    byOperations('flight.cancelled', flightA.body.id, cancelledFlight.requestId);
    await waitForDisruption(flightA.body.id);
    expected.push({
      action: 'booking.flight_removed',
      entityId: booked.body.id,
      actor: system,
      cause: { type: 'flight_cancellation', id: flightA.body.id },
      requestId: null,
    });
    const suspension = await sendOk(operations, 'POST', `/v1/routes/${routeB.body.id}/suspend`, {
      from: `${dateFromToday(29)}T00:00:00+09:00`,
      until: `${dateFromToday(35)}T00:00:00+09:00`,
      reason: 'Airport closed',
    });
    byOperations('route.suspended', routeB.body.id, suspension.requestId);
    byOperations('flight.cancelled', flightB.body.id, suspension.requestId, { type: 'route_suspension', id: suspension.body.id });
    await waitForDisruption(flightB.body.id);
    expected.push({
      action: 'booking.flight_removed',
      entityId: held.body.id,
      actor: system,
      cause: { type: 'route_suspension', id: suspension.body.id },
      requestId: null,
    });

    // Evening: the agent's key is revoked.
    const revoked = await sendOk(operations, 'DELETE', `/v1/api-keys/${agentKeyId}`);
    byOperations('api_key.revoked', agentKeyId, revoked.requestId);

    const events = await eventsSince(startedAt);
    const shape = (event: any): Expected => ({
      action: event.action,
      entityId: event.entityId,
      actor: event.actor.type === 'system' ? { type: 'system' } : { type: 'api_key', keyId: event.actor.keyId },
      cause: event.cause,
      requestId: event.requestId,
    });
    expect(events.map(shape)).toEqual(expected);

    // The request ids are those the API answered with, and the changes say what changed.
    const find = (action: string, entityId: string): any => events.find((event) => event.action === action && event.entityId === entityId);
    expect(find('booking.created', booked.body.id)).toMatchObject({
      entityType: 'booking',
      actor: { type: 'api_key', keyId: agentKeyId, role: 'agent', agencyId: agency.body.id },
      changes: {
        status: { from: null, to: 'confirmed' },
        checkIn: { from: null, to: checkIn },
        guestCount: { from: null, to: 2 },
        nationalities: { from: null, to: ['RU'] },
        outboundFlightId: { from: null, to: flightA.body.id },
      },
    });
    expect(find('booking.amended', booked.body.id).changes).toEqual({
      checkOut: { from: checkOut, to: dateFromToday(34) },
      guests: { from: { count: 2, nationalities: { RU: 2 } }, to: { count: 2, nationalities: { KZ: 1, RU: 1 } } },
    });
    expect(find('booking.confirmed', held.body.id).changes).toEqual({
      status: { from: 'held', to: 'confirmed' },
      holdExpiresAt: { from: held.body.holdExpiresAt, to: null },
    });
    expect(find('booking.cancelled', british.body.id).changes).toEqual({
      status: { from: 'confirmed', to: 'cancelled' },
      cancellationReason: { from: null, to: 'restriction' },
      cancellationRestrictionId: { from: null, to: ban.body.id },
    });
    expect(find('capacity.set', dateFromToday(31))).toMatchObject({
      entityType: 'night',
      changes: { capacity: { from: 20000, to: 15000 } },
    });
    expect(find('booking.flight_removed', booked.body.id).changes).toEqual({ outboundFlightId: { from: flightA.body.id, to: null } });
    expect(find('api_key.revoked', agentKeyId).changes).toEqual({ revokedAt: { from: null, to: expect.any(String) } });

    // The guests' names, passport numbers and dates of birth are nowhere in the table.
    const { rows } = await stack.database.pool.query<{ leaks: number }>(
      `SELECT count(*)::int AS leaks FROM audit_events e WHERE e::text ILIKE ANY($1)`,
      [[`%${SECRET_NAME}%`, `%${SECRET_PASSPORT}%`, `%${SECRET_BIRTH_DATE}%`]],
    );
    expect(rows[0].leaks).toBe(0);
    // (The check can fail: the bookings themselves hold that data.)
    const { rows: bookingRows } = await stack.database.pool.query<{ named: number }>(
      `SELECT count(*)::int AS named FROM bookings b WHERE b::text ILIKE $1`,
      [`%${SECRET_NAME}%`],
    );
    expect(bookingRows[0].named).toBeGreaterThan(0);

    // A booking's history, oldest first: its agency and operations may read it, another agency may not.
    const other = await operations.createAgencyWithAgentKey();
    const stranger = operations.as(other.agentKey);
    expect((await stranger.get(`/v1/bookings/${booked.body.id}/history`)).status).toBe(404);
    const history = await operations.get(`/v1/bookings/${booked.body.id}/history`);
    expect(history.status).toBe(200);
    expect(history.body.data.map((event: any) => event.action)).toEqual(['booking.created', 'booking.amended', 'booking.flight_removed']);
    expect((await stranger.get(`/v1/audit-events`)).status).toBe(403);
  });

  it('shows an agency the history of its own bookings, without operations key ids, and answers 404 for an unknown booking', async () => {
    const { agentKey } = await operations.createAgencyWithAgentKey();
    const agent = operations.as(agentKey);
    const created = await sendOk(agent, 'POST', '/v1/bookings', {
      checkIn: dateFromToday(40),
      checkOut: dateFromToday(42),
      guests: [guestWithPersonalData('RU')],
    });
    const cancelled = await sendOk(operations, 'POST', `/v1/bookings/${created.body.id}/cancel`);
    const history = await agent.get(`/v1/bookings/${created.body.id}/history`);
    expect(history.status).toBe(200);
    expect(history.body.data).toEqual([
      expect.objectContaining({
        action: 'booking.created',
        requestId: created.requestId,
        actor: expect.objectContaining({ type: 'api_key', role: 'agent', keyId: expect.any(String) }),
      }),
      expect.objectContaining({
        action: 'booking.cancelled',
        requestId: cancelled.requestId,
        actor: { type: 'api_key', role: 'operations', agencyId: null },
      }),
    ]);
    expect(history.body.data[1].changes).toEqual({
      status: { from: 'confirmed', to: 'cancelled' },
      cancellationReason: { from: null, to: 'operations' },
    });
    expect((await agent.get(`/v1/bookings/${randomUUID()}/history`)).status).toBe(404);
    expect((await agent.get(`/v1/bookings/not-a-uuid/history`)).status).toBe(404);
  });

  it('leaves no event for a change that is refused or rolled back', async () => {
    const { agencyId, agentKey } = await operations.createAgencyWithAgentKey();
    const agent = operations.as(agentKey);
    const countEvents = async (): Promise<number> => {
      const { rows } = await stack.database.pool.query<{ count: number }>(`SELECT count(*)::int AS count FROM audit_events`);
      return rows[0].count;
    };

    // Refusals: capacity below what is reserved, a restricted guest, validation.
    const night = dateFromToday(50);
    await sendOk(agent, 'POST', '/v1/bookings', {
      checkIn: night,
      checkOut: dateFromToday(51),
      guests: [guestWithPersonalData('RU'), guestWithPersonalData('RU', 1)],
    });
    const before = await countEvents();
    expect((await send(operations, 'PUT', `/v1/capacity/${night}`, { capacity: 1 })).status).toBe(409);
    expect((await send(agent, 'POST', '/v1/bookings', { checkIn: night, checkOut: dateFromToday(51), guests: [] })).status).toBe(400);
    expect((await send(operations, 'POST', `/v1/restrictions/${randomUUID()}/lift`)).status).toBe(404);
    expect(await countEvents()).toBe(before);

    // A batch of admissions, some refused for capacity: their drafts are written and then undone
    // in the batch's transaction, and so are their events; the admitted ones keep theirs.
    const full = dateFromToday(52);
    await sendOk(operations, 'PUT', `/v1/capacity/${full}`, { capacity: 3 });
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        send(agent, 'POST', '/v1/bookings', { checkIn: full, checkOut: dateFromToday(53), guests: [guestWithPersonalData('RU', index)] }),
      ),
    );
    const admitted = attempts.filter((attempt) => attempt.status === 201);
    expect(admitted).toHaveLength(3);
    expect(attempts.filter((attempt) => attempt.status === 409)).toHaveLength(5);
    const { rows: created } = await stack.database.pool.query<{ entityId: string; requestId: string }>(
      `SELECT entity_id AS "entityId", request_id AS "requestId" FROM audit_events e
        WHERE e.action = 'booking.created' AND e.actor_agency_id = $1 AND e.changes->'checkIn'->>'to' = $2`,
      [agencyId, full],
    );
    expect(created.map((row) => row.entityId).sort()).toEqual(admitted.map((attempt) => attempt.body.id).sort());
    expect(created.map((row) => row.requestId).sort()).toEqual(admitted.map((attempt) => attempt.requestId).sort());

    // A statement failing after the event was written (a fault injected on the night counters)
    // rolls the event back with the cancellation: the booking stays live and has no such event.
    const victim = admitted[0].body.id;
    await stack.database.pool.query(`
      CREATE FUNCTION audit_test_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected fault'; END $$;
      CREATE TRIGGER audit_test_fault BEFORE UPDATE ON nights FOR EACH ROW WHEN (NEW.date = '${full}') EXECUTE FUNCTION audit_test_fault();`);
    try {
      const failed = await send(agent, 'POST', `/v1/bookings/${victim}/cancel`);
      expect(failed.status).toBe(500);
    } finally {
      await stack.database.pool.query(`DROP TRIGGER audit_test_fault ON nights; DROP FUNCTION audit_test_fault();`);
    }
    expect((await agent.get(`/v1/bookings/${victim}`)).body.status).toBe('confirmed');
    const history = await agent.get(`/v1/bookings/${victim}/history`);
    expect(history.body.data.map((event: any) => event.action)).toEqual(['booking.created']);
  });

  it('lists everything one restriction did, one event per booking it touched, through every page', async () => {
    const agency = await sendOk(operations, 'POST', '/v1/agencies', {
      name: `Reducing ${randomUUID().slice(0, 6)}`,
      partyPolicy: 'remove_covered_guests',
    });
    const agencyId: string = agency.body.id;
    const checkIn = dateFromToday(60);
    const checkOut = dateFromToday(62);
    await seedBookings(stack.database.pool, { agencyId, checkIn, checkOut, nationalities: ['US'], count: 23, referencePrefix: 'AUD-US' });
    await seedBookings(stack.database.pool, {
      agencyId,
      checkIn,
      checkOut,
      nationalities: ['US', 'RU'],
      count: 11,
      referencePrefix: 'AUD-MIX',
    });
    await seedBookings(stack.database.pool, { agencyId, checkIn, checkOut, nationalities: ['RU'], count: 5, referencePrefix: 'AUD-RU' });
    const ban = await sendOk(operations, 'POST', '/v1/restrictions', {
      nationalities: ['US'],
      effectiveFrom: instantFromNow(0),
      reason: 'Audit cause',
    });
    await waitForRestriction(operations, ban.body.id, enforcementCompleted);

    // Page sizes that cross nothing and everything: 7 (several pages), 34 (exactly one), 200.
    for (const limit of [7, 34, 200]) {
      const ids = await pageThrough(operations, `/v1/audit-events?causeId=${ban.body.id}`, { limit, idOf: (event) => event.entityId });
      expect(ids).toHaveLength(34);
      expect(new Set(ids).size).toBe(34);
    }
    const { rows } = await stack.database.pool.query<{ id: string; reference: string }>(
      `SELECT id, reference FROM bookings WHERE agency_id = $1`,
      [agencyId],
    );
    const events = (await operations.get(`/v1/audit-events?causeId=${ban.body.id}&limit=200`)).body.data;
    const referenceOf = new Map(rows.map((row) => [row.id, row.reference]));
    const touched = events.map((event: any) => ({
      reference: referenceOf.get(event.entityId)?.replace(/-\d+$/, ''),
      action: event.action,
    }));
    expect(touched.filter((entry: any) => entry.reference === 'AUD-US').every((entry: any) => entry.action === 'booking.cancelled')).toBe(
      true,
    );
    expect(
      touched.filter((entry: any) => entry.reference === 'AUD-MIX').every((entry: any) => entry.action === 'booking.guests_removed'),
    ).toBe(true);
    expect(touched.filter((entry: any) => entry.reference === 'AUD-US')).toHaveLength(23);
    expect(touched.filter((entry: any) => entry.reference === 'AUD-RU')).toHaveLength(0);
    const reduced = events.find((event: any) => event.action === 'booking.guests_removed');
    expect(reduced).toMatchObject({
      actor: { type: 'system' },
      cause: { type: 'restriction', id: ban.body.id },
      requestId: null,
      changes: { guestCount: { from: 2, to: 1 }, nationalities: { from: ['RU', 'US'], to: ['RU'] } },
    });
    // The restriction's own lifecycle is found by its id as the entity.
    const lifecycle = (await operations.get(`/v1/audit-events?entityId=${ban.body.id}`)).body.data.map((event: any) => event.action);
    expect(lifecycle).toEqual(['restriction.enforcement_completed', 'restriction.enforcement_started', 'restriction.created']);
  });

  it('records what the system does on its own: an expired hold, an overdue party decision', async () => {
    const agency = await sendOk(operations, 'POST', '/v1/agencies', { name: `Asking ${randomUUID().slice(0, 6)}`, partyPolicy: 'ask' });
    const key = await sendOk(operations, 'POST', `/v1/agencies/${agency.body.id}/api-keys`, {});
    const agent = operations.as(key.body.key);
    const historyOf = async (bookingId: string): Promise<any[]> => (await agent.get(`/v1/bookings/${bookingId}/history`)).body.data;
    const waitForStatus = async (bookingId: string, status: string): Promise<void> => {
      await waitFor(
        () => agent.get(`/v1/bookings/${bookingId}`),
        (booking) => booking.body.status === status,
        { timeoutMs: 20_000, onTimeout: () => new Error(`booking ${bookingId} did not become ${status}`) },
      );
    };

    // A hold whose time has come (moved to the past in SQL): the sweep releases it.
    const hold = await sendOk(agent, 'POST', '/v1/bookings', {
      checkIn: dateFromToday(70),
      checkOut: dateFromToday(72),
      guests: [guestWithPersonalData('RU')],
      hold: true,
    });
    await stack.database.pool.query(`UPDATE bookings SET hold_expires_at = now() - interval '1 second' WHERE id = $1`, [hold.body.id]);
    await waitForStatus(hold.body.id, 'cancelled');
    expect(await historyOf(hold.body.id)).toEqual([
      expect.objectContaining({ action: 'booking.created', requestId: hold.requestId }),
      expect.objectContaining({
        action: 'booking.cancelled',
        actor: { type: 'system' },
        cause: { type: 'hold_expiry' },
        requestId: null,
        changes: { status: { from: 'held', to: 'cancelled' }, cancellationReason: { from: null, to: 'hold_expired' } },
      }),
    ]);

    // A party a ban reduced, whose agency (policy ask) does not answer by the deadline.
    const party = await sendOk(agent, 'POST', '/v1/bookings', {
      checkIn: dateFromToday(71),
      checkOut: dateFromToday(73),
      guests: [guestWithPersonalData('NZ', 1), guestWithPersonalData('RU', 2)],
    });
    const ban = await sendOk(operations, 'POST', '/v1/restrictions', {
      nationalities: ['NZ'],
      effectiveFrom: new Date().toISOString(),
      reason: 'Deadline test',
    });
    await waitForRestriction(operations, ban.body.id, enforcementCompleted);
    const reduced = (await historyOf(party.body.id))[1];
    expect(reduced).toMatchObject({
      action: 'booking.guests_removed',
      actor: { type: 'system' },
      cause: { type: 'restriction', id: ban.body.id },
      changes: {
        guestCount: { from: 2, to: 1 },
        nationalities: { from: ['NZ', 'RU'], to: ['RU'] },
        actionRequired: { from: null, to: expect.objectContaining({ restrictionId: ban.body.id }) },
      },
    });
    await stack.database.pool.query(`UPDATE bookings SET action_required_deadline = now() - interval '1 second' WHERE id = $1`, [
      party.body.id,
    ]);
    await waitForStatus(party.body.id, 'cancelled');
    expect((await historyOf(party.body.id)).map((event) => [event.action, event.cause])).toEqual([
      ['booking.created', { type: 'request' }],
      ['booking.guests_removed', { type: 'restriction', id: ban.body.id }],
      ['booking.cancelled', { type: 'party_decision_deadline', id: ban.body.id }],
    ]);
    await sendOk(operations, 'POST', `/v1/restrictions/${ban.body.id}/lift`);
  });

  it('filters by entity, action, actor key and time, newest first, and refuses bad filters', async () => {
    const { agencyId } = await operations.createAgencyWithAgentKey();
    const events = (await operations.get(`/v1/audit-events?entityId=${agencyId}`)).body.data;
    expect(events.map((event: any) => event.action)).toEqual(['agency.created']);
    const created = events[0];
    expect(
      (
        await operations.get(`/v1/audit-events?entityType=agency&action=agency.created&actorKeyId=${operationsKeyId}&limit=200`)
      ).body.data.map((event: any) => event.id),
    ).toContain(created.id);
    expect((await operations.get(`/v1/audit-events?entityType=booking&entityId=${agencyId}`)).body.data).toEqual([]);
    expect((await operations.get(`/v1/audit-events?entityId=${agencyId}&from=${encodeURIComponent(created.at)}`)).body.data).toHaveLength(
      1,
    );
    expect((await operations.get(`/v1/audit-events?entityId=${agencyId}&to=${encodeURIComponent(created.at)}`)).body.data).toHaveLength(0);

    const newestFirst = (await operations.get('/v1/audit-events?limit=50')).body.data.map((event: any) => event.at);
    expect([...newestFirst].sort().reverse()).toEqual(newestFirst);

    for (const query of [
      'entityType=guest',
      'action=booking.deleted',
      'causeId=not-a-uuid',
      'actorKeyId=123',
      'entityId=%27%3B%20drop',
      'from=2027-02-30T00:00:00Z',
      'from=2027-01-01T00:00:00',
      'from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z',
      'limit=0',
      'limit=201',
      'cursor=garbage',
      'color=red',
    ]) {
      const response = await operations.get(`/v1/audit-events?${query}`);
      expect({ query, status: response.status, code: response.body.code }).toEqual({ query, status: 400, code: 'validation_failed' });
    }
  });

  it('records the bootstrap operations key once, as the system applying its configuration, however many processes start with it', async () => {
    const createdEvents = async (keyId: string): Promise<any[]> => {
      const response = await operations.get(`/v1/audit-events?entityType=api_key&entityId=${keyId}&action=api_key.created`);
      expect(response.status).toBe(200);
      return response.body.data;
    };
    const bootstrapEvent = {
      action: 'api_key.created',
      entityType: 'api_key',
      actor: { type: 'system' },
      cause: { type: 'configuration' },
      requestId: null,
      changes: { role: { from: null, to: 'operations' }, label: { from: null, to: 'bootstrap operations key' } },
    };
    expect(await createdEvents(operationsKeyId)).toEqual([expect.objectContaining({ ...bootstrapEvent, entityId: operationsKeyId })]);

    // Another API process with the same key (a restart, a scale-out) finds the key and records nothing.
    await stack.startApi();
    expect(await createdEvents(operationsKeyId)).toHaveLength(1);

    // A process configured with another key creates that key, and records it.
    const otherKey = `test-ops-${randomUUID().replaceAll('-', '')}`;
    const other = await stack.startApi({ BOOTSTRAP_OPERATIONS_KEY: otherKey });
    const { rows } = await stack.database.pool.query<{ id: string }>(
      `SELECT id FROM api_keys WHERE agency_id IS NULL AND role = 'operations' AND id <> $1`,
      [operationsKeyId],
    );
    expect(rows).toHaveLength(1);
    expect(await createdEvents(rows[0].id)).toEqual([expect.objectContaining({ ...bootstrapEvent, entityId: rows[0].id })]);
    // The key works: the process that created it answers requests made with it.
    expect((await new KalmaClient(other.baseUrl, otherKey).get('/v1/audit-events?limit=1')).status).toBe(200);
  });
});
