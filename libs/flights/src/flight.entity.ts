import { Column, Entity, PrimaryColumn } from 'typeorm';

export type FlightStatus = 'scheduled' | 'cancelled';
export const FLIGHT_STATUSES: FlightStatus[] = ['scheduled', 'cancelled'];

/** How far taking a cancelled flight's bookings off it has got. */
export type DisruptionState = 'pending' | 'running' | 'completed';

/** A direction between two airports, one of them the resort's. */
@Entity({ name: 'routes' })
export class Route {
  @PrimaryColumn({ type: 'uuid' }) id: string;
  /** IATA code. */
  @Column({ type: 'text' }) origin: string;
  @Column({ type: 'text' }) destination: string;
  @Column({ name: 'origin_name', type: 'text' }) originName: string;
  @Column({ name: 'destination_name', type: 'text' }) destinationName: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

/** A window in which a route does not fly: its flights departing then are cancelled. */
@Entity({ name: 'route_suspensions' })
export class RouteSuspension {
  @PrimaryColumn({ type: 'uuid' }) id: string;
  @Column({ name: 'route_id', type: 'uuid' }) routeId: string;
  @Column({ name: 'suspended_from', type: 'timestamptz' }) suspendedFrom: Date;
  /** Null: until further notice. */
  @Column({ name: 'suspended_until', type: 'timestamptz', nullable: true }) suspendedUntil: Date | null;
  @Column({ type: 'text' }) reason: string;
  @Column({ name: 'created_by_key_id', type: 'uuid', nullable: true }) createdByKeyId: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

/** One departure on a route, with its seats. CHECK: 0 ≤ seats_reserved ≤ seats. */
@Entity({ name: 'flights' })
export class Flight {
  @PrimaryColumn({ type: 'uuid' }) id: string;
  @Column({ name: 'route_id', type: 'uuid' }) routeId: string;
  @Column({ name: 'flight_number', type: 'text' }) flightNumber: string;
  @Column({ name: 'departure_at', type: 'timestamptz' }) departureAt: Date;
  @Column({ name: 'arrival_at', type: 'timestamptz' }) arrivalAt: Date;
  @Column({ type: 'integer' }) seats: number;
  /** Guests of held and confirmed bookings on the flight. */
  @Column({ name: 'seats_reserved', type: 'integer' }) seatsReserved: number;
  @Column({ type: 'text' }) status: FlightStatus;
  @Column({ name: 'cancellation_reason', type: 'text', nullable: true }) cancellationReason: string | null;
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true }) cancelledAt: Date | null;
  @Column({ name: 'suspension_id', type: 'uuid', nullable: true }) suspensionId: string | null;
  @Column({ name: 'disruption_state', type: 'text', nullable: true }) disruptionState: DisruptionState | null;
  @Column({ name: 'disruption_affected_bookings', type: 'integer' }) disruptionAffectedBookings: number;
  @Column({ name: 'disruption_released_bookings', type: 'integer' }) disruptionReleasedBookings: number;
  @Column({ name: 'disruption_completed_at', type: 'timestamptz', nullable: true }) disruptionCompletedAt: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

export type RouteRow = Route;
export type RouteSuspensionRow = RouteSuspension;

/** A flight as the repository returns it: with its route's airports. */
export interface FlightRow extends Flight {
  origin: string;
  destination: string;
}
