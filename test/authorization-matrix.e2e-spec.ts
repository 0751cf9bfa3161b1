import { randomUUID } from 'node:crypto';
import { snapshotTables } from './support/database-snapshot';
import { dateFromToday, guest, HttpResult, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { fetchOpenApiDocument, Route, routesOf } from './support/openapi-routes';
import { ACCESS, Access } from './support/route-access';
import { concretePath, createRouteFixtures, RouteFixtures } from './support/route-fixtures';

/**
 * Who may call what, checked for every route of the OpenAPI document (`GET /docs-json`) and every
 * kind of caller, with real resources in the path. Which route is whose is declared in
 * `support/route-access.ts`; a route missing there fails the first test.
 */
type Caller = 'none' | 'revoked' | 'owner' | 'otherAgency' | 'operations';
const CALLERS: Caller[] = ['none', 'revoked', 'owner', 'otherAgency', 'operations'];

/** What a caller must get: an exact refusal, or "allowed" (past the access checks: not 401/403, not 5xx, and not 404 where the resource is theirs). */
type Expectation = 401 | 403 | 404 | 'allowed';

function expectationFor(access: Access, caller: Caller): Expectation {
  if (access === 'public') return 'allowed';
  if (caller === 'none' || caller === 'revoked') return 401;
  switch (access) {
    case 'any':
      return 'allowed';
    case 'operations':
      return caller === 'operations' ? 'allowed' : 403;
    case 'agents':
      return caller === 'operations' ? 403 : 'allowed';
    case 'own-booking':
      return caller === 'otherAgency' ? 404 : 'allowed';
    case 'own-agency':
      return caller === 'otherAgency' ? 403 : 'allowed';
  }
}

describe('authorization matrix (every documented route × every kind of caller)', () => {
  let stack: KalmaStack;
  let routes: Route[];
  let clients: Record<Caller, KalmaClient>;
  let fixtures: RouteFixtures;

  beforeAll(async () => {
    stack = await startKalmaStack();
    routes = routesOf(await fetchOpenApiDocument(stack.apis[0].baseUrl));
    fixtures = await createRouteFixtures(stack.operations, routes);
    clients = {
      none: stack.operations.as(undefined),
      revoked: stack.operations.as(fixtures.revokedKey),
      owner: stack.operations.as(fixtures.owner.agentKey),
      otherAgency: stack.operations.as(fixtures.other.agentKey),
      operations: stack.operations,
    };
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function call(route: Route, caller: Caller): Promise<HttpResult & { path: string; allParametersReal: boolean }> {
    const { path, allParametersReal } = concretePath(route, fixtures.resourceIds);
    const hasBody = ['post', 'put', 'patch'].includes(route.method);
    const result = await clients[caller].request(route.method.toUpperCase(), path, hasBody ? {} : undefined);
    return { ...result, path, allParametersReal };
  }

  function verdict(route: Route, caller: Caller, result: HttpResult & { allParametersReal: boolean }): string | undefined {
    const expected = expectationFor(ACCESS[route.name], caller);
    const problem = result.status >= 400 && route.name !== 'GET /health' ? result.body : undefined;
    if (result.status >= 500) return `answered ${result.status} ${JSON.stringify(result.body)}`;
    if (problem && (typeof problem !== 'object' || typeof problem.code !== 'string'))
      return `error without a problem code: ${JSON.stringify(problem)}`;
    if (expected === 'allowed') {
      if (result.status === 401 || result.status === 403) return `expected to be allowed, got ${result.status} ${problem?.code}`;
      if (result.status === 404 && result.allParametersReal) return `expected to find its own resource, got 404 ${problem?.detail}`;
      return undefined;
    }
    if (result.status !== expected) return `expected ${expected}, got ${result.status} ${JSON.stringify(result.body)}`;
    const code = { 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found' }[expected];
    if (problem?.code !== code) return `expected code ${code}, got ${problem?.code}`;
    return undefined;
  }

  it('has an access entry for every route in the OpenAPI document', () => {
    const unclassified = routes.map((route) => route.name).filter((name) => !(name in ACCESS));
    expect(unclassified).toEqual([]);
    expect(routes.length).toBeGreaterThanOrEqual(20);
  });

  it('documents the bearer key on every non-public route and on no public one', () => {
    const wrong = routes
      .filter((route) => route.name in ACCESS)
      .filter((route) => (ACCESS[route.name] === 'public') === Boolean(route.operation.security?.length))
      .map((route) => route.name);
    expect(wrong).toEqual([]);
  });

  it('refuses every caller who may not call a route (401, 403 or 404 with the right code) and writes nothing', async () => {
    const before = await snapshotTables(stack.database.pool);
    const failures: string[] = [];
    let refusals = 0;
    for (const route of routes.filter((candidate) => candidate.name in ACCESS)) {
      for (const caller of CALLERS) {
        if (expectationFor(ACCESS[route.name], caller) === 'allowed') continue;
        refusals++;
        const result = await call(route, caller);
        const problem = verdict(route, caller, result);
        if (problem) failures.push(`${route.name} as ${caller} (${route.method.toUpperCase()} ${result.path}): ${problem}`);
      }
    }
    expect(failures).toEqual([]);
    expect(refusals).toBeGreaterThan(40);
    // Refused requests leave no trace: not a booking cancelled, not a key revoked, not a secret rotated.
    expect(await snapshotTables(stack.database.pool)).toEqual(before);
  });

  it('lets every caller who may call a route past the access checks, never with a 5xx', async () => {
    const failures: string[] = [];
    // Reads first, then writes, so that a route acting on a fixture (cancel, lift, revoke) does not hide another's answer.
    const ordered = [...routes.filter((route) => route.method === 'get'), ...routes.filter((route) => route.method !== 'get')];
    for (const route of ordered.filter((candidate) => candidate.name in ACCESS)) {
      for (const caller of CALLERS) {
        if (expectationFor(ACCESS[route.name], caller) !== 'allowed') continue;
        const result = await call(route, caller);
        const problem = verdict(route, caller, result);
        if (problem) failures.push(`${route.name} as ${caller} (${route.method.toUpperCase()} ${result.path}): ${problem}`);
      }
    }
    expect(failures).toEqual([]);
  });

  describe('agencies never see or act for one another', () => {
    it("answers 404 for another agency's booking, and the booking is untouched", async () => {
      const other = clients.otherAgency;
      const booking = await clients.owner.createBooking({
        checkIn: dateFromToday(70),
        checkOut: dateFromToday(72),
        guests: [guest('KP')],
        hold: true,
      });
      expect(booking.status).toBe(201);
      for (const attempt of [
        () => other.get(`/v1/bookings/${booking.body.id}`),
        () => other.post(`/v1/bookings/${booking.body.id}/confirm`),
        () => other.post(`/v1/bookings/${booking.body.id}/cancel`),
      ]) {
        const result = await attempt();
        expect({ status: result.status, code: result.body.code }).toEqual({ status: 404, code: 'not_found' });
      }
      const mine = await clients.owner.get(`/v1/bookings/${booking.body.id}`);
      expect(mine.status).toBe(200);
      expect(mine.body).toMatchObject({ id: booking.body.id, status: 'held', agencyId: fixtures.owner.agencyId });
      expect((await clients.operations.get(`/v1/bookings/${booking.body.id}`)).status).toBe(200);
    });

    it("lists only the agency's own bookings", async () => {
      const otherBooking = await clients.otherAgency.createBooking({
        checkIn: dateFromToday(80),
        checkOut: dateFromToday(81),
        guests: [guest('RU')],
      });
      expect(otherBooking.status).toBe(201);
      const ownerList = await clients.owner.get('/v1/bookings?limit=200');
      expect(ownerList.status).toBe(200);
      expect(ownerList.body.data.length).toBeGreaterThan(0);
      expect(ownerList.body.data.every((booking: { agencyId: string }) => booking.agencyId === fixtures.owner.agencyId)).toBe(true);
      const otherList = await clients.otherAgency.get('/v1/bookings?limit=200');
      expect(otherList.body.data.map((booking: { id: string }) => booking.id)).toEqual([otherBooking.body.id]);
    });

    it('refuses an agent naming another agency (403), to book or to list', async () => {
      const before = await snapshotTables(stack.database.pool);
      const booking = await clients.owner.createBooking({
        agencyId: fixtures.other.agencyId,
        checkIn: dateFromToday(90),
        checkOut: dateFromToday(91),
        guests: [guest()],
      });
      expect({ status: booking.status, code: booking.body.code }).toEqual({ status: 403, code: 'forbidden' });
      const list = await clients.owner.get(`/v1/bookings?agencyId=${fixtures.other.agencyId}`);
      expect({ status: list.status, code: list.body.code }).toEqual({ status: 403, code: 'forbidden' });
      const agency = await clients.owner.get(`/v1/agencies/${fixtures.other.agencyId}`);
      expect({ status: agency.status, code: agency.body.code }).toEqual({ status: 403, code: 'forbidden' });
      expect(await snapshotTables(stack.database.pool)).toEqual(before);
    });

    it("keeps each agency's inbox to itself", async () => {
      const ownerInbox = await clients.owner.get('/v1/notifications');
      expect(ownerInbox.status).toBe(200);
      expect(ownerInbox.body.data.length).toBeGreaterThan(0);
      const otherInbox = await clients.otherAgency.get('/v1/notifications');
      expect(otherInbox.body.data).toEqual([]);
      // Acknowledging another agency's notification id is "not found", and acknowledges nothing.
      const foreign = await clients.otherAgency.post('/v1/notifications/ack', { upTo: ownerInbox.body.data[0].id });
      expect(foreign.status).toBe(404);
      const after = await clients.owner.get('/v1/notifications?unacknowledged=true');
      expect(after.body.data.length).toBe(ownerInbox.body.data.length);
    });

    it('refuses a revoked key at once, on every process that has seen it', async () => {
      const issued = await clients.operations.post(`/v1/agencies/${fixtures.owner.agencyId}/api-keys`, { label: 'soon revoked' });
      const agent = clients.operations.as(issued.body.key);
      expect((await agent.get(`/v1/bookings/${fixtures.ownerBookingId}`)).status).toBe(200);
      expect((await clients.operations.request('DELETE', `/v1/api-keys/${issued.body.id}`)).status).toBe(200);
      const after = await agent.get(`/v1/bookings/${fixtures.ownerBookingId}`);
      expect({ status: after.status, code: after.body.code }).toEqual({ status: 401, code: 'unauthenticated' });
    });

    it('refuses malformed credentials with 401', async () => {
      const path = `/v1/bookings/${fixtures.ownerBookingId}`;
      for (const authorization of [
        '',
        'Bearer',
        'Bearer ',
        'Basic dXNlcjpwYXNz',
        `Token ${randomUUID()}`,
        `Bearer ${'x'.repeat(600)}`,
        'Bearer a b',
      ]) {
        const result = await clients.none.request('GET', path, undefined, { authorization });
        expect({ authorization: authorization.slice(0, 20), status: result.status, code: result.body?.code }).toEqual({
          authorization: authorization.slice(0, 20),
          status: 401,
          code: 'unauthenticated',
        });
      }
    });
  });
});
