import { randomUUID } from 'node:crypto';
import { dateFromToday, guest, KalmaClient } from './kalma-client';
import type { Route } from './openapi-routes';

export interface AgencyWithKey {
  agencyId: string;
  agentKey: string;
}

/** Real resources to put in the path parameters of every documented route. */
export interface RouteFixtures {
  owner: AgencyWithKey;
  other: AgencyWithKey;
  /** An agent key of the owner agency, already revoked. */
  revokedKey: string;
  /** A held booking of the owner agency. */
  ownerBookingId: string;
  /** Path parameter values by the collection segment before them (`bookings` → ownerBookingId). */
  resourceIds: Record<string, string>;
}

function expectStatus(what: string, result: { status: number; body: unknown }, status: number): void {
  if (result.status !== status) throw new Error(`fixture ${what}: expected ${status}, got ${result.status} ${JSON.stringify(result.body)}`);
}

/**
 * Two agencies with agent keys, a revoked key, a held booking and a notification of the first
 * agency, a spare API key; and a restriction, a route and a flight where the API serves them.
 */
export async function createRouteFixtures(operations: KalmaClient, routes: Route[]): Promise<RouteFixtures> {
  const served = (name: string): boolean => routes.some((route) => route.name === name);
  const owner = await operations.createAgencyWithAgentKey('Owner Agency');
  const other = await operations.createAgencyWithAgentKey('Other Agency');
  const agent = operations.as(owner.agentKey);

  const revoked = await operations.post(`/v1/agencies/${owner.agencyId}/api-keys`, { label: 'revoked' });
  expectStatus('issue key', revoked, 201);
  expectStatus('revoke key', await operations.request('DELETE', `/v1/api-keys/${revoked.body.id}`), 200);
  const spare = await operations.post(`/v1/agencies/${owner.agencyId}/api-keys`, { label: 'spare, for routes acting on a key' });
  expectStatus('issue spare key', spare, 201);

  const booking = await agent.createBooking({ checkIn: dateFromToday(30), checkOut: dateFromToday(33), guests: [guest('RU')], hold: true });
  expectStatus('create booking', booking, 201);
  // A booking cancelled by operations leaves a notification in the owner's inbox.
  const cancelled = await agent.createBooking({ checkIn: dateFromToday(40), checkOut: dateFromToday(41), guests: [guest('CN')] });
  expectStatus('create booking to cancel', cancelled, 201);
  expectStatus('cancel booking', await operations.post(`/v1/bookings/${cancelled.body.id}/cancel`), 200);
  const inbox = await agent.get('/v1/notifications');
  expectStatus('read inbox', inbox, 200);

  const resourceIds: Record<string, string> = {
    agencies: owner.agencyId,
    'api-keys': spare.body.id,
    bookings: booking.body.id,
    capacity: dateFromToday(60),
    notifications: inbox.body.data[0].id,
  };
  if (served('POST /v1/restrictions')) {
    const restriction = await operations.post('/v1/restrictions', {
      nationalities: ['AQ'],
      effectiveFrom: new Date(Date.now() + 200 * 86_400_000).toISOString(),
      reason: 'route fixture',
    });
    expectStatus('create restriction', restriction, 201);
    resourceIds.restrictions = restriction.body.id;
  }
  if (served('POST /v1/routes')) {
    const route = await operations.post('/v1/routes', { origin: 'VVO', destination: 'WOS' });
    expectStatus('create route', route, 201);
    resourceIds.routes = route.body.id;
    if (served('POST /v1/flights')) {
      const day = dateFromToday(30);
      const flight = await operations.post('/v1/flights', {
        routeId: route.body.id,
        flightNumber: 'JS271',
        departureAt: `${day}T08:00:00+09:00`,
        arrivalAt: `${day}T10:30:00+09:00`,
        seats: 100,
      });
      expectStatus('create flight', flight, 201);
      resourceIds.flights = flight.body.id;
    }
  }
  return { owner, other, revokedKey: revoked.body.key, ownerBookingId: booking.body.id, resourceIds };
}

/**
 * A route's path with real ids in its parameters where there is a fixture for them (a random
 * uuid otherwise); `override` replaces every parameter (e.g. with a hostile value).
 */
export function concretePath(
  route: Route,
  resourceIds: Record<string, string>,
  override?: string,
): { path: string; allParametersReal: boolean } {
  let allParametersReal = true;
  const segments = route.path.split('/');
  const path = segments
    .map((segment, index) => {
      if (!/^\{.+\}$/.test(segment)) return segment;
      if (override !== undefined) return encodeURIComponent(override);
      const real = resourceIds[segments[index - 1]];
      if (!real) allParametersReal = false;
      return real ?? randomUUID();
    })
    .join('/');
  return { path, allParametersReal };
}
