import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agencies and their API keys, nightly capacity, bookings, idempotency records and the
 * notification outbox. Invariants live here as constraints; the code checks first only
 * to give a good error.
 */
export class Foundation1764300000000 implements MigrationInterface {
  name = 'Foundation1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE agencies (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        webhook_url text,
        webhook_secret text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        agency_id uuid REFERENCES agencies (id),
        role text NOT NULL CHECK (role IN ('agent', 'operations')),
        label text,
        -- SHA-256 of the key: keys are long random strings, so a fast hash is enough and lets us look them up by equality.
        key_hash bytea NOT NULL UNIQUE,
        key_prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        CONSTRAINT agent_keys_belong_to_an_agency CHECK (role <> 'agent' OR agency_id IS NOT NULL)
      );

      -- One row per night that has been touched; a missing row means "default capacity, nothing reserved".
      CREATE TABLE nights (
        date date PRIMARY KEY,
        capacity integer NOT NULL CHECK (capacity >= 0),
        reserved integer NOT NULL DEFAULT 0,
        held integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT reserved_within_capacity CHECK (reserved >= 0 AND reserved <= capacity),
        CONSTRAINT held_within_reserved CHECK (held >= 0 AND held <= reserved)
      );

      CREATE TABLE bookings (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        reference text NOT NULL UNIQUE,
        agency_id uuid NOT NULL REFERENCES agencies (id),
        status text NOT NULL CHECK (status IN ('held', 'confirmed', 'cancelled')),
        check_in date NOT NULL,
        check_out date NOT NULL,
        guests jsonb NOT NULL,
        guest_count integer NOT NULL CHECK (guest_count >= 1),
        -- Distinct nationalities of the guests, for restriction matching without unpacking the JSON.
        nationalities text[] NOT NULL,
        hold_expires_at timestamptz,
        outbound_flight_id uuid,
        return_flight_id uuid,
        cancellation_reason text CHECK (cancellation_reason IN ('agent_request', 'operations', 'restriction', 'hold_expired')),
        cancellation_restriction_id uuid,
        cancelled_at timestamptz,
        created_by_key_id uuid REFERENCES api_keys (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT stay_has_nights CHECK (check_out > check_in),
        CONSTRAINT guest_count_matches CHECK (guest_count = jsonb_array_length(guests)),
        CONSTRAINT held_bookings_expire CHECK ((status = 'held') = (hold_expires_at IS NOT NULL) OR status = 'cancelled'),
        CONSTRAINT cancellation_recorded CHECK ((status = 'cancelled') = (cancellation_reason IS NOT NULL AND cancelled_at IS NOT NULL))
      );
      CREATE INDEX bookings_agency_created ON bookings (agency_id, created_at DESC, id DESC);
      CREATE INDEX bookings_created ON bookings (created_at DESC, id DESC);
      CREATE INDEX bookings_live_by_check_in ON bookings (check_in) WHERE status IN ('held', 'confirmed');
      CREATE INDEX bookings_hold_expiry ON bookings (hold_expires_at) WHERE status = 'held';

      CREATE TABLE idempotency_keys (
        agency_id uuid NOT NULL REFERENCES agencies (id),
        key text NOT NULL,
        request_hash text NOT NULL,
        response_status integer,
        -- json, not jsonb: a replay sends back the very bytes of the first response.
        response_body json,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agency_id, key)
      );
      CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

      -- The outbox: written in the same transaction as the change it reports.
      CREATE TABLE notifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sequence bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        agency_id uuid NOT NULL REFERENCES agencies (id),
        type text NOT NULL,
        data jsonb NOT NULL,
        -- Makes "one notification per event" a constraint: e.g. booking:<id>:cancelled.
        dedupe_key text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        acknowledged_at timestamptz
      );
      CREATE INDEX notifications_inbox ON notifications (agency_id, sequence);
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TABLE notifications;
      DROP TABLE idempotency_keys;
      DROP TABLE bookings;
      DROP TABLE nights;
      DROP TABLE api_keys;
      DROP TABLE agencies;
    `);
  }
}
