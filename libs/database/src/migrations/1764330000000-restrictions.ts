import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Nationality restrictions (bans) with their enforcement progress, and the index that lets a
 * ban's preview and enforcement find the live bookings of given nationalities quickly.
 */
export class Restrictions1764330000000 implements MigrationInterface {
  name = 'Restrictions1764330000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE restrictions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- Either a list of nationalities, or all foreigners: every nationality but home_country and the exceptions.
        nationalities text[],
        all_foreign boolean NOT NULL DEFAULT false,
        except_nationalities text[] NOT NULL DEFAULT '{}',
        -- RESORT_HOME_COUNTRY when the restriction was made: a later configuration change must not widen or narrow it.
        home_country text NOT NULL CHECK (home_country ~ '^[A-Z]{2}$'),
        effective_from timestamptz NOT NULL,
        effective_until timestamptz,
        -- The check-in dates covered, [window_from, window_to), resort-local dates of the two instants.
        window_from date NOT NULL,
        window_to date,
        reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
        applied_by_key_id uuid REFERENCES api_keys (id),
        lifted_at timestamptz,
        lifted_by_key_id uuid REFERENCES api_keys (id),
        enforcement_state text NOT NULL DEFAULT 'pending' CHECK (enforcement_state IN ('pending', 'running', 'completed')),
        affected_bookings integer NOT NULL DEFAULT 0 CHECK (affected_bookings >= 0),
        cancelled_bookings integer NOT NULL DEFAULT 0 CHECK (cancelled_bookings >= 0),
        enforcement_started_at timestamptz,
        enforcement_completed_at timestamptz,
        -- To the millisecond, as list cursors carry it: keyset pagination then never skips a row.
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT covers_a_list_or_all_foreigners CHECK (
          (all_foreign AND nationalities IS NULL) OR (NOT all_foreign AND cardinality(nationalities) >= 1)),
        CONSTRAINT exceptions_only_for_all_foreigners CHECK (all_foreign OR cardinality(except_nationalities) = 0),
        CONSTRAINT ends_after_it_starts CHECK (effective_until IS NULL OR effective_until > effective_from),
        CONSTRAINT window_is_ordered CHECK (window_to IS NULL OR window_to > window_from),
        CONSTRAINT lift_recorded CHECK (lifted_at IS NOT NULL OR lifted_by_key_id IS NULL),
        CONSTRAINT enforcement_progress_recorded CHECK (
          (enforcement_state = 'pending') = (enforcement_started_at IS NULL)
          AND (enforcement_state = 'completed') = (enforcement_completed_at IS NOT NULL))
      );
      CREATE INDEX restrictions_created ON restrictions (created_at DESC, id DESC);
      -- The admission gate and the reconciler only look at restrictions that are not lifted.
      CREATE INDEX restrictions_in_force ON restrictions (window_from) WHERE lifted_at IS NULL;

      -- "Live bookings with any of these nationalities" (a list ban's preview and enforcement).
      CREATE INDEX bookings_live_by_nationality ON bookings USING gin (nationalities) WHERE status IN ('held', 'confirmed');
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP INDEX bookings_live_by_nationality;
      DROP TABLE restrictions;
    `);
  }
}
