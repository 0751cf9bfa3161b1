import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `MAX_HELD_GUESTS_PER_AGENCY`: a counter per agency of the guests of its bookings in status
 * `held`, kept by triggers on `bookings` so that every path that creates, confirms, cancels,
 * expires or deletes a hold (or changes its guests) keeps it exact without having to remember to.
 *
 * Statement-level triggers with transition tables: one statement of the admission batch (up to
 * 128 bookings) or of a ban's chunk (hundreds) updates each agency's counter once, not once per
 * row. Agencies are updated in id order, so two statements touching the same agencies lock their
 * counters in the same order (the one lock order: bookings, then agency counters by id, then
 * nights by date, then flights by id). A statement that changes no held guests (a confirmed
 * booking written, a flight segment cleared) touches no counter.
 *
 * The limit itself is configuration, so no constraint can hold it: the admission batch reads the
 * counters it has locked (its own drafts' trigger locked them) and decides there.
 */
export class AgencyHoldCounters1764390000000 implements MigrationInterface {
  name = 'AgencyHoldCounters1764390000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE agency_held_guests (
        agency_id uuid PRIMARY KEY REFERENCES agencies (id),
        held_guests integer NOT NULL DEFAULT 0 CHECK (held_guests >= 0)
      );

      INSERT INTO agency_held_guests (agency_id, held_guests)
      SELECT agency_id, sum(guest_count) FROM bookings WHERE status = 'held' GROUP BY agency_id;

      -- One function per event, each adding its rows' change of held guests per agency, one
      -- agency at a time in id order (the lock order). The INSERT creates an agency's counter on
      -- its first hold.
      CREATE FUNCTION count_held_guests_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        change record;
      BEGIN
        FOR change IN
          SELECT agency_id, sum(guest_count)::int AS delta FROM new_rows WHERE status = 'held' GROUP BY agency_id ORDER BY agency_id
        LOOP
          INSERT INTO agency_held_guests AS a (agency_id, held_guests) VALUES (change.agency_id, change.delta)
          ON CONFLICT (agency_id) DO UPDATE SET held_guests = a.held_guests + EXCLUDED.held_guests;
        END LOOP;
        RETURN NULL;
      END $$;

      CREATE FUNCTION count_held_guests_updated() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        change record;
      BEGIN
        FOR change IN
          SELECT agency_id, sum(delta)::int AS delta
            FROM (SELECT agency_id, guest_count AS delta FROM new_rows WHERE status = 'held'
                  UNION ALL
                  SELECT agency_id, -guest_count FROM old_rows WHERE status = 'held') held
           GROUP BY agency_id HAVING sum(delta) <> 0 ORDER BY agency_id
        LOOP
          -- Not INSERT … ON CONFLICT for a release: the CHECK would refuse the proposed negative row
          -- before the conflict is seen. A release always finds the counter its hold created.
          IF change.delta > 0 THEN
            INSERT INTO agency_held_guests AS a (agency_id, held_guests) VALUES (change.agency_id, change.delta)
            ON CONFLICT (agency_id) DO UPDATE SET held_guests = a.held_guests + EXCLUDED.held_guests;
          ELSE
            UPDATE agency_held_guests SET held_guests = held_guests + change.delta WHERE agency_id = change.agency_id;
          END IF;
        END LOOP;
        RETURN NULL;
      END $$;

      CREATE FUNCTION count_held_guests_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        change record;
      BEGIN
        FOR change IN
          SELECT agency_id, sum(guest_count)::int AS released FROM old_rows WHERE status = 'held' GROUP BY agency_id ORDER BY agency_id
        LOOP
          UPDATE agency_held_guests SET held_guests = held_guests - change.released WHERE agency_id = change.agency_id;
        END LOOP;
        RETURN NULL;
      END $$;

      -- TRUNCATE fires no row or statement trigger of the three above: start the counters afresh.
      CREATE FUNCTION reset_held_guests() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM agency_held_guests;
        RETURN NULL;
      END $$;

      CREATE TRIGGER bookings_held_guests_inserted AFTER INSERT ON bookings
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_held_guests_inserted();
      -- Transition tables allow no column list (UPDATE OF status, guest_count): every UPDATE
      -- statement runs it, and one that changes no held guests stops at the aggregate.
      CREATE TRIGGER bookings_held_guests_updated AFTER UPDATE ON bookings
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_held_guests_updated();
      CREATE TRIGGER bookings_held_guests_deleted AFTER DELETE ON bookings
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_held_guests_deleted();
      CREATE TRIGGER bookings_held_guests_truncated AFTER TRUNCATE ON bookings
        FOR EACH STATEMENT EXECUTE FUNCTION reset_held_guests();
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TRIGGER bookings_held_guests_truncated ON bookings;
      DROP TRIGGER bookings_held_guests_deleted ON bookings;
      DROP TRIGGER bookings_held_guests_updated ON bookings;
      DROP TRIGGER bookings_held_guests_inserted ON bookings;
      DROP FUNCTION reset_held_guests();
      DROP FUNCTION count_held_guests_deleted();
      DROP FUNCTION count_held_guests_updated();
      DROP FUNCTION count_held_guests_inserted();
      DROP TABLE agency_held_guests;
    `);
  }
}
