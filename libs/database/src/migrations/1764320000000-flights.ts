import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Flight routes, flights with their seat counters, route suspensions, and the foreign keys
 * from bookings to the flights they reserve seats on. As with nights, the seat invariant
 * (reserved ≤ seats) is a CHECK constraint: the code checks first only to give a good error.
 */
export class Flights1764320000000 implements MigrationInterface {
  name = 'Flights1764320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE routes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        origin text NOT NULL CHECK (origin ~ '^[A-Z]{3}$'),
        destination text NOT NULL CHECK (destination ~ '^[A-Z]{3}$'),
        -- Names as the airport dataset had them when the route was created (shown in responses).
        origin_name text NOT NULL,
        destination_name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT route_joins_two_airports CHECK (origin <> destination),
        CONSTRAINT one_route_per_direction UNIQUE (origin, destination)
      );

      CREATE TABLE route_suspensions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        route_id uuid NOT NULL REFERENCES routes (id),
        suspended_from timestamptz NOT NULL,
        -- NULL: until further notice.
        suspended_until timestamptz,
        reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
        created_by_key_id uuid REFERENCES api_keys (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT suspension_window_not_empty CHECK (suspended_until IS NULL OR suspended_until > suspended_from)
      );
      CREATE INDEX route_suspensions_route ON route_suspensions (route_id, suspended_from);

      CREATE TABLE flights (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        route_id uuid NOT NULL REFERENCES routes (id),
        flight_number text NOT NULL CHECK (flight_number ~ '^[A-Z0-9]{2}[A-Z]?[0-9]{1,4}[A-Z]?$'),
        departure_at timestamptz NOT NULL,
        arrival_at timestamptz NOT NULL,
        seats integer NOT NULL,
        -- Guests of held and confirmed bookings on this flight (one seat each).
        seats_reserved integer NOT NULL DEFAULT 0,
        status text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
        cancellation_reason text,
        cancelled_at timestamptz,
        suspension_id uuid REFERENCES route_suspensions (id),
        -- Progress of taking the flight's bookings off it after a cancellation (NULL while scheduled).
        disruption_state text CHECK (disruption_state IN ('pending', 'running', 'completed')),
        disruption_affected_bookings integer NOT NULL DEFAULT 0,
        disruption_released_bookings integer NOT NULL DEFAULT 0,
        disruption_completed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT seats_reserved_within_seats CHECK (seats_reserved >= 0 AND seats_reserved <= seats),
        CONSTRAINT arrives_after_departure CHECK (arrival_at > departure_at),
        CONSTRAINT cancellation_recorded CHECK (
          (status = 'cancelled') = (cancelled_at IS NOT NULL AND cancellation_reason IS NOT NULL AND disruption_state IS NOT NULL)
        ),
        CONSTRAINT one_departure_per_flight_number UNIQUE (flight_number, departure_at)
      );
      CREATE INDEX flights_departure ON flights (departure_at, id);
      CREATE INDEX flights_route_departure ON flights (route_id, departure_at);
      CREATE INDEX flights_disruption_incomplete ON flights (updated_at) WHERE disruption_state IN ('pending', 'running');

      ALTER TABLE bookings
        ADD CONSTRAINT bookings_outbound_flight_fk FOREIGN KEY (outbound_flight_id) REFERENCES flights (id),
        ADD CONSTRAINT bookings_return_flight_fk FOREIGN KEY (return_flight_id) REFERENCES flights (id);
      -- Finding the live bookings on a flight (disruptions) without scanning every booking.
      CREATE INDEX bookings_live_outbound_flight ON bookings (outbound_flight_id) WHERE outbound_flight_id IS NOT NULL AND status IN ('held', 'confirmed');
      CREATE INDEX bookings_live_return_flight ON bookings (return_flight_id) WHERE return_flight_id IS NOT NULL AND status IN ('held', 'confirmed');
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP INDEX bookings_live_return_flight;
      DROP INDEX bookings_live_outbound_flight;
      ALTER TABLE bookings DROP CONSTRAINT bookings_return_flight_fk, DROP CONSTRAINT bookings_outbound_flight_fk;
      DROP TABLE flights;
      DROP TABLE route_suspensions;
      DROP TABLE routes;
    `);
  }
}
