import { Narrowed, RowOf, selectList } from '#libs/database';

export type FlightStatus = 'scheduled' | 'cancelled';
export const FLIGHT_STATUSES: FlightStatus[] = ['scheduled', 'cancelled'];

/** How far taking a cancelled flight's bookings off it has got. */
export type DisruptionState = 'pending' | 'running' | 'completed';

/** A direction between two airports (IATA codes), one of them the resort's; as `FROM routes r`. */
export const ROUTE_SELECT = selectList('routes', 'r', ['id', 'origin', 'destination', 'origin_name', 'destination_name', 'created_at']);
export type RouteRow = RowOf<typeof ROUTE_SELECT>;

/** A window in which a route does not fly (`suspendedUntil` null: until further notice); as `FROM route_suspensions s`. */
export const ROUTE_SUSPENSION_SELECT = selectList('route_suspensions', 's', [
  'id',
  'route_id',
  'suspended_from',
  'suspended_until',
  'reason',
  'created_by_key_id',
  'created_at',
]);
export type RouteSuspensionRow = RowOf<typeof ROUTE_SUSPENSION_SELECT>;

/**
 * One departure on a route, with its seats (CHECK: 0 ≤ seats_reserved ≤ seats; `seatsReserved`:
 * guests of held and confirmed bookings on it); as `FROM flights f JOIN routes r`, with
 * `ROUTE_AIRPORTS_SELECT`.
 */
export const FLIGHT_SELECT = selectList('flights', 'f', [
  'id',
  'route_id',
  'flight_number',
  'departure_at',
  'arrival_at',
  'seats',
  'seats_reserved',
  'status',
  'cancellation_reason',
  'cancelled_at',
  'suspension_id',
  'disruption_state',
  'disruption_affected_bookings',
  'disruption_released_bookings',
  'disruption_completed_at',
  'created_at',
  'updated_at',
]);

/** The airports of a flight's route. */
export const ROUTE_AIRPORTS_SELECT = selectList('routes', 'r', ['origin', 'destination']);

/** A flight as the repository returns it: with its route's airports. */
export type FlightRow = Narrowed<
  RowOf<typeof FLIGHT_SELECT> & RowOf<typeof ROUTE_AIRPORTS_SELECT>,
  { status: FlightStatus; disruptionState: DisruptionState | null }
>;
