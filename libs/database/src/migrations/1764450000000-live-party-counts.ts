import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `live_party_counts`: the live (held and confirmed) bookings counted by check-in date, agency
 * and party composition, kept by triggers on `bookings`, so that a ban's preview sums a few
 * thousand rows instead of reading every live booking (a million at the scale of issue 13).
 *
 * A party's composition is what a restriction's outcome depends on: its distinct nationalities
 * (`nationalities`, as on the booking) and, for a mixed party, each guest's nationality and
 * whether that guest is an adult on the check-in date (`party`, sorted, so that equal parties have
 * equal keys). A party of one nationality is either wholly covered or not affected at all, so its
 * `party` is `[]` and only its guests are summed. No name, passport or date of birth is kept.
 *
 * Writers never wait for each other here: each statement on `bookings` appends its change as
 * rows (`folded` false), and no row is ever updated by a booking's transaction, so the lock order
 * (bookings → hold counters → inboxes → nights → flights) is untouched and admission batches do
 * not queue behind each other on hot keys. A sweep folds those rows into one total per key
 * (`folded` true, unique) in a transaction of its own. A reader sums both kinds, in one snapshot,
 * so it always sees exactly the bookings committed in that snapshot.
 *
 * "Adult" is the rule enforcement applies (`keptAdultsPath` in libs/restrictions): no date of
 * birth, or one no later than the check-in date minus 18 years, compared as `YYYY-MM-DD` text.
 */
export class LivePartyCounts1764450000000 implements MigrationInterface {
  name = 'LivePartyCounts1764450000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The backfill reads every booking once: longer than the 30 s statement timeout of the pool on
    // a large table, and a migration has the database to itself anyway.
    await queryRunner.query(`SET LOCAL statement_timeout = 0`);
    await queryRunner.query(`
      CREATE TABLE live_party_counts (
        check_in date NOT NULL,
        agency_id uuid NOT NULL,
        nationalities text[] NOT NULL,
        party jsonb NOT NULL,
        bookings integer NOT NULL,
        guests integer NOT NULL,
        -- false: one statement's change (may be negative); true: the total of the key up to the last fold.
        folded boolean NOT NULL DEFAULT false,
        CONSTRAINT folded_counts_not_negative CHECK (NOT folded OR (bookings >= 0 AND guests >= 0))
      );
      CREATE UNIQUE INDEX live_party_counts_total ON live_party_counts (check_in, agency_id, nationalities, party) WHERE folded;

      -- The composition of a mixed party, kept on the booking by a row trigger that runs only when
      -- a party is written (inserted, or its guests or check-in changed), so the statement triggers
      -- below and a cancellation of a million bookings only read it. '[]' for one nationality.
      ALTER TABLE bookings ADD COLUMN party jsonb NOT NULL DEFAULT '[]';

      CREATE FUNCTION set_booking_party() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.party := CASE WHEN cardinality(NEW.nationalities) <= 1 THEN '[]'::jsonb ELSE to_jsonb(ARRAY(
          SELECT jsonb_build_object('nationality', g->'nationality', 'adult',
                   -- keptAdultsPath's "!exists(@.dateOfBirth) || @.dateOfBirth == null || @.dateOfBirth <= $adultBornBy"
                   -- (jsonpath compares strings by code point, as COLLATE "C" does).
                   g->'dateOfBirth' IS NULL OR jsonb_typeof(g->'dateOfBirth') = 'null'
                   OR (jsonb_typeof(g->'dateOfBirth') = 'string'
                       AND (g->>'dateOfBirth') COLLATE "C" <= to_char(NEW.check_in - interval '18 years', 'YYYY-MM-DD'))) AS guest
            FROM jsonb_array_elements(NEW.guests) g
           ORDER BY g->>'nationality', 1)) END;
        RETURN NEW;
      END $$;

      UPDATE bookings b SET party = to_jsonb(ARRAY(
          SELECT jsonb_build_object('nationality', g->'nationality', 'adult',
                   g->'dateOfBirth' IS NULL OR jsonb_typeof(g->'dateOfBirth') = 'null'
                   OR (jsonb_typeof(g->'dateOfBirth') = 'string'
                       AND (g->>'dateOfBirth') COLLATE "C" <= to_char(b.check_in - interval '18 years', 'YYYY-MM-DD'))) AS guest
            FROM jsonb_array_elements(b.guests) g
           ORDER BY g->>'nationality', 1))
       WHERE cardinality(b.nationalities) > 1;

      -- A party of one nationality needs no composition: the function is not even called for it.
      CREATE TRIGGER bookings_party_inserted BEFORE INSERT ON bookings
        FOR EACH ROW WHEN (cardinality(NEW.nationalities) > 1) EXECUTE FUNCTION set_booking_party();
      CREATE TRIGGER bookings_party_updated BEFORE UPDATE OF guests, nationalities, check_in, party ON bookings
        FOR EACH ROW EXECUTE FUNCTION set_booking_party();

      CREATE FUNCTION count_live_parties_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO live_party_counts (check_in, agency_id, nationalities, party, bookings, guests)
        SELECT check_in, agency_id, nationalities, party, count(*), sum(guest_count)
          FROM new_rows WHERE status IN ('held', 'confirmed')
         GROUP BY 1, 2, 3, 4;
        RETURN NULL;
      END $$;

      -- A statement that changes no live party (a confirmation, a flight replaced, a cancelled
      -- booking anonymised) nets to zero per key and appends nothing.
      CREATE FUNCTION count_live_parties_updated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO live_party_counts (check_in, agency_id, nationalities, party, bookings, guests)
        SELECT check_in, agency_id, nationalities, party, sum(bookings), sum(guests)
          FROM (SELECT check_in, agency_id, nationalities, party, 1 AS bookings, guest_count AS guests
                  FROM new_rows WHERE status IN ('held', 'confirmed')
                UNION ALL
                SELECT check_in, agency_id, nationalities, party, -1, -guest_count
                  FROM old_rows WHERE status IN ('held', 'confirmed')) change
         GROUP BY 1, 2, 3, 4
        HAVING sum(bookings) <> 0 OR sum(guests) <> 0;
        RETURN NULL;
      END $$;

      CREATE FUNCTION count_live_parties_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO live_party_counts (check_in, agency_id, nationalities, party, bookings, guests)
        SELECT check_in, agency_id, nationalities, party, -count(*), -sum(guest_count)
          FROM old_rows WHERE status IN ('held', 'confirmed')
         GROUP BY 1, 2, 3, 4;
        RETURN NULL;
      END $$;

      -- TRUNCATE fires none of the three above: start afresh.
      CREATE FUNCTION reset_live_parties() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM live_party_counts;
        RETURN NULL;
      END $$;

      INSERT INTO live_party_counts (check_in, agency_id, nationalities, party, bookings, guests, folded)
      SELECT check_in, agency_id, nationalities, party, count(*), sum(guest_count), true
        FROM bookings WHERE status IN ('held', 'confirmed')
       GROUP BY 1, 2, 3, 4;

      CREATE TRIGGER bookings_live_parties_inserted AFTER INSERT ON bookings
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_live_parties_inserted();
      CREATE TRIGGER bookings_live_parties_updated AFTER UPDATE ON bookings
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_live_parties_updated();
      CREATE TRIGGER bookings_live_parties_deleted AFTER DELETE ON bookings
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_live_parties_deleted();
      CREATE TRIGGER bookings_live_parties_truncated AFTER TRUNCATE ON bookings
        FOR EACH STATEMENT EXECUTE FUNCTION reset_live_parties();
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TRIGGER bookings_live_parties_truncated ON bookings;
      DROP TRIGGER bookings_live_parties_deleted ON bookings;
      DROP TRIGGER bookings_live_parties_updated ON bookings;
      DROP TRIGGER bookings_live_parties_inserted ON bookings;
      DROP FUNCTION reset_live_parties();
      DROP FUNCTION count_live_parties_deleted();
      DROP FUNCTION count_live_parties_updated();
      DROP FUNCTION count_live_parties_inserted();
      DROP TABLE live_party_counts;
      DROP TRIGGER bookings_party_updated ON bookings;
      DROP TRIGGER bookings_party_inserted ON bookings;
      DROP FUNCTION set_booking_party();
      ALTER TABLE bookings DROP COLUMN party;
    `);
  }
}
