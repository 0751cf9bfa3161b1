/**
 * Who may call what, for every route the API documents.
 * - public: no key needed;
 * - any: any valid key;
 * - operations: operations keys only (agents 403);
 * - agents: agent keys only (operations 403);
 * - own-booking: the agency owning the booking and operations (another agency: 404, as if it did not exist);
 * - own-agency: operations, and an agent for its own agency (another agency: 403).
 */
export type Access = 'public' | 'any' | 'operations' | 'agents' | 'own-booking' | 'own-agency';

/**
 * Every route must be classified here: `test/authorization-matrix.e2e-spec.ts` fails for a route
 * without an entry, so nobody forgets to decide who may call a new route.
 * Entries for routes that are not (yet) served are ignored.
 */
export const ACCESS: Record<string, Access> = {
  'GET /health': 'public',
  'GET /metrics': 'public',

  'POST /v1/agencies': 'operations',
  'GET /v1/agencies': 'operations',
  'GET /v1/agencies/{id}': 'own-agency',
  'PATCH /v1/agencies/{id}': 'operations',
  'POST /v1/agencies/{id}/webhook-secret': 'operations',
  'POST /v1/agencies/{id}/api-keys': 'operations',
  'DELETE /v1/api-keys/{id}': 'operations',

  'GET /v1/capacity': 'any',
  'GET /v1/exposure': 'operations',
  'PUT /v1/capacity/{date}': 'operations',

  'POST /v1/bookings': 'any', // agents for themselves, operations naming the agency
  'GET /v1/bookings': 'any', // agents see their own
  'GET /v1/bookings/{id}': 'own-booking',
  'POST /v1/bookings/{id}/confirm': 'own-booking',
  'POST /v1/bookings/{id}/cancel': 'own-booking',
  'PUT /v1/bookings/{id}/flights': 'own-booking',
  'POST /v1/bookings/{id}/keep': 'own-booking',
  'PATCH /v1/bookings/{id}': 'own-booking',

  'POST /v1/restrictions': 'operations',
  'POST /v1/restrictions/preview': 'operations',
  'GET /v1/restrictions': 'any',
  'GET /v1/restrictions/{id}': 'any',
  'POST /v1/restrictions/{id}/lift': 'operations',

  'POST /v1/routes': 'operations',
  'GET /v1/routes': 'any',
  'GET /v1/routes/{id}': 'any',
  'GET /v1/routes/{id}/suspensions': 'any',
  'POST /v1/routes/{id}/suspend': 'operations',
  'POST /v1/flights': 'operations',
  'GET /v1/flights': 'any',
  'GET /v1/flights/{id}': 'any',
  'PATCH /v1/flights/{id}': 'operations',
  'POST /v1/flights/{id}/cancel': 'operations',

  'GET /v1/notifications': 'agents',
  'POST /v1/notifications/ack': 'agents',
  'GET /v1/notifications/{id}/deliveries': 'operations',
  'GET /v1/agencies/{id}/webhook-deliveries': 'operations',
  'POST /v1/agencies/{id}/webhook-deliveries/retry': 'operations',
};
