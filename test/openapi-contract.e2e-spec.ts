import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { dateFromToday, guest, HttpResult, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import {
  fetchOpenApiDocument,
  OpenApiDocument,
  OpenApiSchema,
  requestBodySchema,
  resolveSchema,
  Route,
  routesOf,
  typeOf,
} from './support/openapi-routes';
import { startValidatingProxy, ValidatingProxy, Violation } from './support/openapi-validator';
import { instantFromNow, waitForEnforcingWorker, waitForRestriction } from './support/restriction-helpers';
import { waitFor, WebhookReceiver } from './support/webhook-receiver';

/**
 * The OpenAPI document as a contract, checked against the real stack:
 * - `redocly lint` finds no error and no warning the config does not justify;
 * - every route of the document (the list comes from `/docs-json`, so a new route is covered
 *   or fails here) is called through a validating proxy with a good request, which must succeed
 *   with a documented, schema-valid answer, and with bad ones generated from its schemas, which
 *   the validator must flag and the server must refuse with a documented problem;
 * - every webhook Kalma sends matches the `webhooks` section and its signature verifies.
 */
const PROJECT_ROOT = path.resolve(__dirname, '..');

type Caller = 'operations' | 'owner' | 'none';

interface RequestSpec {
  caller: Caller;
  /** Set from the route (GET unless said). */
  method?: string;
  /** The route's path with its parameters filled in. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  /** The status a good request gets. */
  expect: number;
}

interface Context {
  operations: KalmaClient;
  owner: { agencyId: string; agentKey: string; client: KalmaClient; webhookSecret: string };
  receiver: WebhookReceiver;
  routeId: string;
  flightId: string;
  flightDay: string;
}

const MINUTE_OF_FLIGHT = (day: string) => ({ departureAt: `${day}T08:00:00+09:00`, arrivalAt: `${day}T10:30:00+09:00` });

async function created(result: Promise<HttpResult>, what: string, status = 201): Promise<any> {
  const answer = await result;
  if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/**
 * A good request for every route, by name: what a correct client sends. Routes that change a
 * resource's state get a resource of their own. A documented route missing here fails the suite.
 */
const GOOD: Record<string, (context: Context) => Promise<RequestSpec>> = {
  'GET /health': async () => ({ caller: 'none', path: '/health', expect: 200 }),
  'GET /metrics': async () => ({ caller: 'none', path: '/metrics', expect: 200 }),

  'POST /v1/agencies': async (context) => ({
    caller: 'operations',
    path: '/v1/agencies',
    body: { name: 'Contract Travel', webhookUrl: `${context.receiver.baseUrl}/other`, partyPolicy: 'remove_covered_guests' },
    expect: 201,
  }),
  'GET /v1/agencies': async () => ({ caller: 'operations', path: '/v1/agencies', query: { limit: '10' }, expect: 200 }),
  'GET /v1/agencies/{id}': async (context) => ({ caller: 'owner', path: `/v1/agencies/${context.owner.agencyId}`, expect: 200 }),
  'PATCH /v1/agencies/{id}': async (context) => ({
    caller: 'operations',
    path: `/v1/agencies/${context.owner.agencyId}`,
    body: { name: 'Contract Owner', webhookUrl: `${context.receiver.baseUrl}/owner` },
    expect: 200,
  }),
  'POST /v1/agencies/{id}/webhook-secret': async (context) => {
    const agency = await created(context.operations.post('/v1/agencies', { name: 'Rotating' }), 'agency to rotate');
    return { caller: 'operations', path: `/v1/agencies/${agency.id}/webhook-secret`, expect: 200 };
  },
  'POST /v1/agencies/{id}/api-keys': async (context) => ({
    caller: 'operations',
    path: `/v1/agencies/${context.owner.agencyId}/api-keys`,
    body: { label: 'contract', role: 'agent' },
    expect: 201,
  }),
  'DELETE /v1/api-keys/{id}': async (context) => {
    const key = await created(
      context.operations.post(`/v1/agencies/${context.owner.agencyId}/api-keys`, { label: 'to revoke' }),
      'key to revoke',
    );
    return { caller: 'operations', path: `/v1/api-keys/${key.id}`, expect: 200 };
  },

  'GET /v1/capacity': async () => ({
    caller: 'owner',
    path: '/v1/capacity',
    query: { from: dateFromToday(10), to: dateFromToday(17) },
    expect: 200,
  }),
  'GET /v1/exposure': async () => ({
    caller: 'operations',
    path: '/v1/exposure',
    query: { from: dateFromToday(20), to: dateFromToday(50) },
    expect: 200,
  }),
  'PUT /v1/capacity/{date}': async () => ({
    caller: 'operations',
    path: `/v1/capacity/${dateFromToday(90)}`,
    body: { capacity: 19000 },
    expect: 200,
  }),

  'POST /v1/bookings': async () => ({
    caller: 'owner',
    path: '/v1/bookings',
    headers: { 'idempotency-key': randomUUID() },
    body: {
      checkIn: dateFromToday(20),
      checkOut: dateFromToday(23),
      guests: [{ fullName: 'Ivan Petrov', nationality: 'RU', dateOfBirth: '1988-04-12', passportNumber: '751234567' }, guest('CN')],
      hold: true,
    },
    expect: 201,
  }),
  'GET /v1/bookings': async () => ({
    caller: 'owner',
    path: '/v1/bookings',
    query: { status: 'held', checkInFrom: dateFromToday(1), checkInTo: dateFromToday(200), limit: '20' },
    expect: 200,
  }),
  'GET /v1/bookings/{id}': async (context) => ({ caller: 'owner', path: `/v1/bookings/${await heldBooking(context)}`, expect: 200 }),
  'GET /v1/bookings/{id}/history': async (context) => ({
    caller: 'owner',
    path: `/v1/bookings/${await heldBooking(context)}/history`,
    expect: 200,
  }),
  'GET /v1/audit-events': async () => ({
    caller: 'operations',
    path: '/v1/audit-events',
    query: {
      entityType: 'booking',
      action: 'booking.created',
      from: new Date(Date.now() - 3_600_000).toISOString(),
      to: new Date(Date.now() + 3_600_000).toISOString(),
      limit: '20',
    },
    expect: 200,
  }),
  'POST /v1/bookings/{id}/confirm': async (context) => ({
    caller: 'owner',
    path: `/v1/bookings/${await heldBooking(context)}/confirm`,
    expect: 200,
  }),
  'POST /v1/bookings/{id}/cancel': async (context) => ({
    caller: 'owner',
    path: `/v1/bookings/${await heldBooking(context)}/cancel`,
    body: {},
    expect: 200,
  }),
  'PUT /v1/bookings/{id}/flights': async (context) => {
    const booking = await created(
      context.owner.client.createBooking({ checkIn: context.flightDay, checkOut: dateFromToday(33), guests: [guest('RU')], hold: true }),
      'booking for flights',
    );
    return {
      caller: 'owner',
      path: `/v1/bookings/${booking.id}/flights`,
      body: { outboundFlightId: context.flightId, returnFlightId: null },
      expect: 200,
    };
  },
  'PATCH /v1/bookings/{id}': async (context) => ({
    // By operations: the owner is notified (booking.amended), in its inbox and by webhook.
    caller: 'operations',
    path: `/v1/bookings/${await heldBooking(context)}`,
    headers: { 'if-match': '"1"', 'idempotency-key': randomUUID() },
    body: { checkOut: dateFromToday(28), guests: [guest('RU'), guest('CN', 'Li Wei')] },
    expect: 200,
  }),
  'POST /v1/bookings/{id}/keep': async (context) => {
    // A party a ban reduced under the `ask` policy: the booking asks for a decision.
    const asking = await created(
      context.operations.post('/v1/agencies', { name: 'Asking', partyPolicy: 'ask', webhookUrl: `${context.receiver.baseUrl}/asking` }),
      'asking agency',
    );
    const key = await created(context.operations.post(`/v1/agencies/${asking.id}/api-keys`, {}), 'asking key');
    const checkIn = dateFromToday(45);
    const booking = await created(
      context.operations
        .as(key.key)
        .createBooking({ checkIn, checkOut: dateFromToday(47), guests: [guest('RU'), guest('GB', 'Jane Smith')] }),
      'mixed party',
    );
    const restriction = await created(
      context.operations.post('/v1/restrictions', {
        nationalities: ['GB'],
        effectiveFrom: instantFromNow(0),
        effectiveUntil: `${dateFromToday(46)}T00:00:00+09:00`,
        reason: 'contract: keep',
      }),
      'restriction reducing the party',
    );
    await waitForRestriction(context.operations, restriction.id, (value) => value.enforcement?.state === 'completed', 60_000);
    return { caller: 'operations', path: `/v1/bookings/${booking.id}/keep`, expect: 200 };
  },

  'POST /v1/restrictions': async () => ({
    caller: 'operations',
    path: '/v1/restrictions',
    body: {
      allForeign: true,
      except: ['RU', 'CN', 'GB'],
      effectiveFrom: new Date(Date.now() + 300 * 86_400_000).toISOString(),
      reason: 'contract',
    },
    expect: 201,
  }),
  'POST /v1/restrictions/preview': async () => ({
    caller: 'operations',
    path: '/v1/restrictions/preview',
    body: { nationalities: ['RU'], effectiveFrom: instantFromNow(3600), reason: 'what if' },
    expect: 200,
  }),
  'GET /v1/restrictions': async () => ({
    caller: 'owner',
    path: '/v1/restrictions',
    query: { status: 'scheduled', nationality: 'AQ', limit: '5' },
    expect: 200,
  }),
  'GET /v1/restrictions/{id}': async (context) => ({
    caller: 'owner',
    path: `/v1/restrictions/${await scheduledRestriction(context)}`,
    expect: 200,
  }),
  'POST /v1/restrictions/{id}/lift': async (context) => ({
    caller: 'operations',
    path: `/v1/restrictions/${await scheduledRestriction(context)}/lift`,
    expect: 200,
  }),

  'POST /v1/routes': async () => ({ caller: 'operations', path: '/v1/routes', body: { origin: 'FNJ', destination: 'WOS' }, expect: 201 }),
  'GET /v1/routes': async () => ({ caller: 'owner', path: '/v1/routes', query: { limit: '5' }, expect: 200 }),
  'GET /v1/routes/{id}': async (context) => ({ caller: 'owner', path: `/v1/routes/${context.routeId}`, expect: 200 }),
  'GET /v1/routes/{id}/suspensions': async (context) => ({
    caller: 'owner',
    path: `/v1/routes/${context.routeId}/suspensions`,
    query: { limit: '5' },
    expect: 200,
  }),
  'POST /v1/routes/{id}/suspend': async (context) => {
    const route = await created(context.operations.post('/v1/routes', { origin: 'WOS', destination: 'VVO' }), 'route to suspend');
    return {
      caller: 'operations',
      path: `/v1/routes/${route.id}/suspend`,
      body: {
        from: new Date(Date.now() + 300 * 86_400_000).toISOString(),
        until: new Date(Date.now() + 310 * 86_400_000).toISOString(),
        reason: 'contract',
      },
      expect: 201,
    };
  },
  'POST /v1/flights': async (context) => ({
    caller: 'operations',
    path: '/v1/flights',
    body: { routeId: context.routeId, flightNumber: 'JS273', ...MINUTE_OF_FLIGHT(dateFromToday(31)), seats: 50 },
    expect: 201,
  }),
  'GET /v1/flights': async () => ({
    caller: 'owner',
    path: '/v1/flights',
    query: { from: dateFromToday(1), to: dateFromToday(60), origin: 'VVO', destination: 'WOS', status: 'scheduled', limit: '10' },
    expect: 200,
  }),
  'GET /v1/flights/{id}': async (context) => ({ caller: 'owner', path: `/v1/flights/${context.flightId}`, expect: 200 }),
  'PATCH /v1/flights/{id}': async (context) => ({
    caller: 'operations',
    path: `/v1/flights/${context.flightId}`,
    body: { seats: 150 },
    expect: 200,
  }),
  'POST /v1/flights/{id}/cancel': async (context) => {
    // A flight with a booking on it: its cancellation notifies the owner (booking.flight_cancelled).
    const day = dateFromToday(35);
    const flight = await created(
      context.operations.post('/v1/flights', { routeId: context.routeId, flightNumber: 'JS275', ...MINUTE_OF_FLIGHT(day), seats: 20 }),
      'flight to cancel',
    );
    await created(
      context.owner.client.createBooking({ checkIn: day, checkOut: dateFromToday(37), guests: [guest('RU')], outboundFlightId: flight.id }),
      'booking on it',
    );
    return { caller: 'operations', path: `/v1/flights/${flight.id}/cancel`, body: { reason: 'Aircraft unavailable' }, expect: 200 };
  },

  'GET /v1/notifications': async () => ({
    caller: 'owner',
    path: '/v1/notifications',
    query: { unacknowledged: 'true', limit: '50' },
    expect: 200,
  }),
  'POST /v1/notifications/ack': async (context) => ({
    caller: 'owner',
    path: '/v1/notifications/ack',
    body: { upTo: await ownerNotification(context) },
    expect: 200,
  }),
  'GET /v1/notifications/{id}/deliveries': async (context) => ({
    caller: 'operations',
    path: `/v1/notifications/${await ownerNotification(context)}/deliveries`,
    expect: 200,
  }),
  'GET /v1/agencies/{id}/webhook-deliveries': async (context) => ({
    caller: 'operations',
    path: `/v1/agencies/${context.owner.agencyId}/webhook-deliveries`,
    query: { state: 'delivered', limit: '10' },
    expect: 200,
  }),
  'POST /v1/agencies/{id}/webhook-deliveries/retry': async (context) => ({
    caller: 'operations',
    path: `/v1/agencies/${context.owner.agencyId}/webhook-deliveries/retry`,
    expect: 200,
  }),
};

async function heldBooking(context: Context): Promise<string> {
  const booking = await created(
    context.owner.client.createBooking({ checkIn: dateFromToday(25), checkOut: dateFromToday(27), guests: [guest('RU')], hold: true }),
    'held booking',
  );
  return booking.id;
}

async function scheduledRestriction(context: Context): Promise<string> {
  const restriction = await created(
    context.operations.post('/v1/restrictions', {
      nationalities: ['AQ'],
      effectiveFrom: new Date(Date.now() + 200 * 86_400_000).toISOString(),
      reason: 'contract',
    }),
    'scheduled restriction',
  );
  return restriction.id;
}

/** A notification in the owner's inbox: operations cancel one of its bookings. */
async function ownerNotification(context: Context): Promise<string> {
  const booking = await heldBooking(context);
  await created(context.operations.post(`/v1/bookings/${booking}/cancel`), 'cancel by operations', 200);
  const inbox = await created(context.owner.client.get('/v1/notifications?limit=200'), 'inbox', 200);
  return inbox.data.at(-1).id;
}

/** Values that break one rule of a schema, each with the rule it breaks; none is null or absent (those have their own meaning). */
function violationsOf(document: OpenApiDocument, schema: OpenApiSchema | undefined): { rule: string; value: unknown }[] {
  const resolved = resolveSchema(document, schema?.anyOf?.find((option) => option.type !== 'null') ?? schema) ?? {};
  const type = typeOf(resolved);
  const out: { rule: string; value: unknown }[] = [];
  if (type === 'string') {
    out.push({ rule: 'type', value: 12 });
    if (resolved.maxLength !== undefined) out.push({ rule: 'maxLength', value: 'x'.repeat(resolved.maxLength + 1) });
    if (resolved.minLength) out.push({ rule: 'minLength', value: '' });
    if (resolved.format === 'uuid') out.push({ rule: 'format uuid', value: 'not-a-uuid' });
    if (resolved.format === 'date') out.push({ rule: 'format date', value: '2027-02-30' });
    if (resolved.format === 'date-time') out.push({ rule: 'format date-time', value: '2027-07-01 09:00' });
    if (resolved.format === 'uri') out.push({ rule: 'format uri', value: 'not a url' });
    if (resolved.pattern && !new RegExp(resolved.pattern, 'u').test('  ')) out.push({ rule: 'pattern', value: '  ' });
    if (resolved.enum) out.push({ rule: 'enum', value: 'no_such_value' });
  } else if (type === 'integer' || type === 'number') {
    out.push({ rule: 'type', value: '5' });
    if (type === 'integer') out.push({ rule: 'integer', value: 1.5 });
    if (resolved.minimum !== undefined) out.push({ rule: 'minimum', value: resolved.minimum - 1 });
    if (resolved.maximum !== undefined) out.push({ rule: 'maximum', value: resolved.maximum + 1 });
  } else if (type === 'boolean') {
    out.push({ rule: 'type', value: 'yes' });
  } else if (type === 'array') {
    out.push({ rule: 'type', value: 'a string' });
    if (resolved.minItems) out.push({ rule: 'minItems', value: [] });
    if (resolved.maxItems !== undefined) {
      const item = resolved.items ? exampleOf(document, resolved.items) : 'x';
      out.push({ rule: 'maxItems', value: Array.from({ length: resolved.maxItems + 1 }, () => item) });
    }
    for (const itemViolation of violationsOf(document, resolved.items).slice(0, 3))
      out.push({ rule: `items ${itemViolation.rule}`, value: [itemViolation.value] });
  } else if (type === 'object') {
    out.push({ rule: 'type', value: 'a string' });
  }
  return out;
}

function exampleOf(document: OpenApiDocument, schema: OpenApiSchema | undefined): unknown {
  const resolved = resolveSchema(document, schema) ?? {};
  if (resolved.examples?.length) return resolved.examples[0];
  if (typeOf(resolved) === 'object')
    return Object.fromEntries((resolved.required ?? []).map((name) => [name, exampleOf(document, resolved.properties?.[name])]));
  return 'x';
}

describe('the OpenAPI document as a contract (redocly lint, a validating proxy over every route, webhooks)', () => {
  let stack: KalmaStack;
  let document: OpenApiDocument;
  let routes: Route[];
  let proxy: ValidatingProxy;
  let receiver: WebhookReceiver;
  let context: Context;
  const specs = new Map<string, RequestSpec>();
  const clients = new Map<Caller, KalmaClient>();

  beforeAll(async () => {
    stack = await startKalmaStack({ workerCount: 1, env: { WEBHOOK_DISPATCH_INTERVAL_MS: '200' } });
    document = await fetchOpenApiDocument(stack.apis[0].baseUrl);
    routes = routesOf(document);
    proxy = await startValidatingProxy(stack.apis[0].baseUrl, document);
    receiver = await new WebhookReceiver().start();
    const operations = new KalmaClient(proxy.baseUrl, stack.operationsKey);
    await waitForEnforcingWorker(operations);
    const owner = await operations.createAgencyWithAgentKey('Contract Owner', `${receiver.baseUrl}/owner`);
    const route = await created(operations.post('/v1/routes', { origin: 'VVO', destination: 'WOS' }), 'route');
    const flightDay = dateFromToday(30);
    const flight = await created(
      operations.post('/v1/flights', { routeId: route.id, flightNumber: 'JS271', ...MINUTE_OF_FLIGHT(flightDay), seats: 100 }),
      'flight',
    );
    context = {
      operations,
      owner: { ...owner, client: operations.as(owner.agentKey) },
      receiver,
      routeId: route.id,
      flightId: flight.id,
      flightDay,
    };
    clients.set('operations', operations).set('owner', context.owner.client).set('none', operations.as(undefined));
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    await receiver?.stop();
    await stack?.stop();
  });

  async function send(
    spec: RequestSpec,
    change: {
      body?: unknown;
      rawBody?: string;
      contentType?: string;
      query?: Record<string, string>;
      path?: string;
      caller?: Caller;
      headers?: Record<string, string>;
    } = {},
  ): Promise<{ result: HttpResult; violations: Violation[] }> {
    const client = clients.get(change.caller ?? spec.caller) as KalmaClient;
    const query = new URLSearchParams(change.query ?? spec.query ?? {}).toString();
    const body =
      'rawBody' in change
        ? change.rawBody
        : 'body' in change
          ? JSON.stringify(change.body)
          : spec.body === undefined
            ? undefined
            : JSON.stringify(spec.body);
    const method = spec.method ?? 'GET';
    const before = proxy.exchanges.length;
    const changed = Object.keys(change).length > 0;
    // A changed request is refused for what changed, not for a version the good request moved on from.
    const { 'if-match': _ifMatch, ...headersOfChanged } = spec.headers ?? {};
    const result = await client.request(method, `${change.path ?? spec.path}${query ? `?${query}` : ''}`, body, {
      ...(changed ? headersOfChanged : (spec.headers ?? {})),
      // A changed request is a new request: it must not replay (or collide with) the good one's answer.
      ...(changed && spec.headers?.['idempotency-key'] ? { 'idempotency-key': randomUUID() } : {}),
      ...(change.headers ?? {}),
      ...(body !== undefined ? { 'content-type': change.contentType ?? 'application/json' } : {}),
    });
    return { result, violations: proxy.exchanges.slice(before).flatMap((entry) => entry.violations) };
  }

  it('is OpenAPI 3.1 that redocly lints with no error and no unjustified warning', () => {
    expect(document.openapi).toBe('3.1.0');
    mkdirSync(path.join(PROJECT_ROOT, 'dist'), { recursive: true });
    writeFileSync(path.join(PROJECT_ROOT, 'dist/openapi.json'), JSON.stringify(document, null, 2));
    const lint = spawnSync(path.join(PROJECT_ROOT, 'node_modules/.bin/redocly'), ['lint', 'dist/openapi.json', '--format=json'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
    const report = JSON.parse(lint.stdout.slice(lint.stdout.indexOf('{'))) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string }[];
    };
    expect({ totals: report.totals, problems: report.problems.map((problem) => `${problem.ruleId}: ${problem.message}`) }).toEqual({
      totals: expect.objectContaining({ errors: 0, warnings: 0 }),
      problems: [],
    });
    expect(lint.status).toBe(0);
  });

  it('catches what it should (the validator can fail)', () => {
    const booking = (document.paths['/v1/bookings/{id}'].get?.responses?.['200'] as { content: Record<string, { schema: OpenApiSchema }> })
      .content['application/json'].schema;
    const valid = {
      id: randomUUID(),
      reference: 'KAL-7F3K9Q',
      agencyId: randomUUID(),
      status: 'held',
      checkIn: '2027-07-01',
      checkOut: '2027-07-03',
      nights: 2,
      guests: [{ fullName: 'A B', nationality: 'RU' }],
      guestCount: 1,
      holdExpiresAt: null,
      outboundFlightId: null,
      returnFlightId: null,
      cancellation: null,
      actionRequired: null,
      anonymisedAt: null,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      ...((resolveSchema(document, booking)?.properties ?? {}).version ? { version: 1 } : {}),
    };
    expect(proxy.validator.check(booking, valid)).toBeUndefined();
    expect(proxy.validator.check(booking, { ...valid, unexpected: true })).toMatch(/additional/);
    expect(proxy.validator.check(booking, { ...valid, nights: 1.5 })).toMatch(/integer/);
    expect(proxy.validator.check(booking, { ...valid, cancellation: { reason: 'restriction', at: 'yesterday' } })).toMatch(/date-time/);
  });

  it('has a good request for every documented route, and each one succeeds with a documented answer', async () => {
    const missing = routes.map((route) => route.name).filter((name) => !GOOD[name]);
    expect(missing).toEqual([]);
    const failures: string[] = [];
    for (const route of routes) {
      const spec = { ...(await GOOD[route.name](context)), method: route.method.toUpperCase() };
      specs.set(route.name, spec);
      const { result, violations } = await send(spec);
      if (result.status !== spec.expect)
        failures.push(`${route.name}: expected ${spec.expect}, got ${result.status} ${JSON.stringify(result.body)}`);
      for (const violation of violations) failures.push(`${violation.route} ${violation.status} ${violation.side}: ${violation.message}`);
    }
    expect(failures).toEqual([]);
  }, 240_000);

  it('refuses bad input to every route with a documented problem, and the validator flags the request', async () => {
    expect(specs.size).toBe(routes.length);
    const failures: string[] = [];
    let sent = 0;
    const expectRefused = async (
      what: string,
      spec: RequestSpec,
      change: Parameters<typeof send>[1],
      statuses?: number[],
    ): Promise<void> => {
      sent++;
      const { result, violations } = await send(spec, change);
      const responseViolations = violations.filter((violation) => violation.side === 'response');
      const flagged = violations.some((violation) => violation.side === 'request');
      if (result.status < 400 || result.status >= 500 || (statuses && !statuses.includes(result.status))) {
        failures.push(
          `${what}: expected ${statuses?.join('/') ?? '4xx'}, got ${result.status} ${JSON.stringify(result.body).slice(0, 300)}`,
        );
      }
      if (!flagged) failures.push(`${what}: the validator did not flag the request`);
      for (const violation of responseViolations) failures.push(`${what}: ${violation.status} response: ${violation.message}`);
    };

    for (const route of routes) {
      const spec = specs.get(route.name) as RequestSpec;
      const secured = (route.operation.security ?? []).length > 0;
      if (secured) await expectRefused(`${route.name} without a key`, spec, { caller: 'none' }, [401]);

      const parameters = route.operation.parameters ?? [];
      for (const parameter of parameters.filter((candidate) => candidate.in === 'path')) {
        const badPath = spec.path
          .split('/')
          .map((segment, index) => (route.path.split('/')[index] === `{${parameter.name}}` ? 'not-an-id' : segment))
          .join('/');
        await expectRefused(`${route.name} with path ${parameter.name}=not-an-id`, spec, { path: badPath }, [400, 404]);
        const longPath = spec.path
          .split('/')
          .map((segment, index) => (route.path.split('/')[index] === `{${parameter.name}}` ? 'x'.repeat(1_001) : segment))
          .join('/');
        await expectRefused(`${route.name} with a path ${parameter.name} of 1001 characters`, spec, { path: longPath }, [414]);
      }
      const queryParameters = parameters.filter((candidate) => candidate.in === 'query');
      for (const parameter of queryParameters) {
        for (const { rule, value } of violationsOf(document, parameter.schema).filter((violation) => typeof violation.value !== 'object')) {
          if (rule === 'type') continue; // a query value is always a string, read as its schema types it
          await expectRefused(
            `${route.name} with query ${parameter.name} breaking ${rule}`,
            spec,
            { query: { ...(spec.query ?? {}), [parameter.name]: String(value) } },
            [400],
          );
        }
      }
      for (const parameter of parameters.filter((candidate) => candidate.in === 'header' && candidate.schema?.pattern)) {
        const value = 'a value with spaces';
        if (new RegExp(parameter.schema?.pattern ?? '', 'u').test(value)) continue;
        await expectRefused(
          `${route.name} with header ${parameter.name} breaking its pattern`,
          spec,
          { headers: { [parameter.name.toLowerCase()]: value } },
          [400],
        );
      }
      if (queryParameters.length > 0)
        await expectRefused(
          `${route.name} with an unknown query parameter`,
          spec,
          { query: { ...(spec.query ?? {}), unexpected: '1' } },
          [400],
        );

      if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(spec.method ?? 'GET')) {
        await expectRefused(`${route.name} with a text/plain body`, spec, { rawBody: 'hello', contentType: 'text/plain' }, [415]);
        await expectRefused(
          `${route.name} with a body over 256 KiB`,
          spec,
          { rawBody: JSON.stringify({ padding: 'x'.repeat(300 * 1024) }) },
          [413],
        );
      }
      const bodySchema = requestBodySchema(document, route);
      if (!bodySchema) continue;
      const base = (spec.body ?? {}) as Record<string, unknown>;
      await expectRefused(`${route.name} with an unknown member`, spec, { body: { ...base, unexpected: 1 } }, [400]);
      for (const [name, propertySchema] of Object.entries(bodySchema.properties ?? {})) {
        for (const { rule, value } of violationsOf(document, propertySchema)) {
          await expectRefused(`${route.name} with ${name} breaking ${rule}`, spec, { body: { ...base, [name]: value } }, [400]);
        }
      }
      for (const name of bodySchema.required ?? []) {
        const { [name]: _omitted, ...rest } = base;
        await expectRefused(`${route.name} without ${name}`, spec, { body: rest }, [400]);
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(routes.length * 4);
  }, 300_000);

  it('answers any value in any body member with a documented answer, and refuses every value the validator refuses', async () => {
    const writeRoutes = routes.filter(
      (route) => requestBodySchema(document, route)?.properties && specs.get(route.name)?.body !== undefined,
    );
    expect(writeRoutes.length).toBeGreaterThan(10);
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writeRoutes), fc.nat(), fc.jsonValue({ maxDepth: 2 }), async (route, pick, value) => {
        const spec = specs.get(route.name) as RequestSpec;
        const names = Object.keys(requestBodySchema(document, route)?.properties ?? {});
        const name = names[pick % names.length];
        const { result, violations } = await send(spec, { body: { ...(spec.body as object), [name]: value } });
        const flagged = violations.some((violation) => violation.side === 'request');
        for (const violation of violations.filter((candidate) => candidate.side === 'response'))
          failures.push(`${route.name} ${name}=${JSON.stringify(value)}: ${violation.message}`);
        if (flagged && result.status < 400)
          failures.push(`${route.name} ${name}=${JSON.stringify(value)}: the document refuses it, the server answered ${result.status}`);
        if (result.status >= 500) failures.push(`${route.name} ${name}=${JSON.stringify(value)}: ${result.status}`);
        return failures.length === 0;
      }),
      { numRuns: 150 },
    );
    expect(failures).toEqual([]);
  }, 300_000);

  it('sends notifications and webhooks of the documented shapes, signed as Standard Webhooks has it', async () => {
    // booking.cancelled, booking.flight_cancelled (owner) and booking.action_required (the asking agency) were caused above.
    const inbox = await waitFor(
      () => send({ caller: 'owner', path: '/v1/notifications', query: { limit: '200' }, expect: 200, method: 'GET' }),
      ({ result }) => result.body.data.some((entry: { type: string }) => entry.type === 'booking.flight_cancelled'),
      30_000,
    );
    expect(inbox.violations).toEqual([]);
    const types = new Set(inbox.result.body.data.map((entry: { type: string }) => entry.type));
    expect([...types].sort()).toEqual(expect.arrayContaining(['booking.amended', 'booking.cancelled', 'booking.flight_cancelled']));

    await waitFor(
      () => receiver.received.filter((request) => request.path === '/owner').length,
      (count) => count >= inbox.result.body.data.length,
      30_000,
    );
    const webhooks = receiver.received.filter((request) => request.path === '/owner' || request.path === '/asking');
    expect(webhooks.map((request) => JSON.parse(request.body).type)).toEqual(
      expect.arrayContaining(['booking.action_required', 'booking.amended', 'booking.cancelled', 'booking.flight_cancelled']),
    );
    const problems = webhooks.flatMap((request) =>
      proxy.validator.validateWebhook(request.headers, request.body).map((problem) => `${request.id}: ${problem}`),
    );
    expect(problems).toEqual([]);
    const signer = new Webhook(context.owner.webhookSecret);
    for (const request of webhooks.filter((candidate) => candidate.path === '/owner')) {
      expect(() => signer.verify(request.body, request.headers as Record<string, string>)).not.toThrow();
    }
  }, 60_000);
});
