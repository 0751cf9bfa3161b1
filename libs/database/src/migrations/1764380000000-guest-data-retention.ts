import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Guest data retention (PRODUCT.md "Guest data"): a booking's guests are anonymised some days
 * after its check-out or cancellation, and `anonymised_at` records when. The sweep that does it
 * looks only at bookings not yet anonymised, through two partial indexes whose rows leave them as
 * they are anonymised: however many bookings the table holds, the indexes hold roughly the live
 * ones and those of the last retention period.
 */
export class GuestDataRetention1764380000000 implements MigrationInterface {
  name = 'GuestDataRetention1764380000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      -- Nullable, no default: adding it rewrites nothing.
      ALTER TABLE bookings ADD COLUMN anonymised_at timestamptz;

      -- An anonymised guest keeps its nationality and nothing else that names a person. NOT VALID
      -- then VALIDATE: the check of the existing rows (none anonymised) does not block writes.
      ALTER TABLE bookings ADD CONSTRAINT anonymised_guests_keep_only_nationality CHECK (
        anonymised_at IS NULL
        OR NOT jsonb_path_exists(guests, '$[*] ? (exists(@.dateOfBirth) || exists(@.passportNumber) || @.fullName != null)')
      ) NOT VALID;
      ALTER TABLE bookings VALIDATE CONSTRAINT anonymised_guests_keep_only_nationality;

      -- Candidates by check-out (every booking not yet anonymised, live or not, ordered by check-out).
      CREATE INDEX bookings_not_anonymised_by_check_out ON bookings (check_out) WHERE anonymised_at IS NULL;
      -- Candidates by cancellation: cancelled, not yet anonymised.
      CREATE INDEX bookings_not_anonymised_by_cancellation ON bookings (cancelled_at) WHERE status = 'cancelled' AND anonymised_at IS NULL;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP INDEX bookings_not_anonymised_by_cancellation;
      DROP INDEX bookings_not_anonymised_by_check_out;
      ALTER TABLE bookings DROP CONSTRAINT anonymised_guests_keep_only_nationality, DROP COLUMN anonymised_at;
    `);
  }
}
