import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `version` of a booking: 1 at creation, +1 on every change of any kind (confirm, cancel, hold
 * expiry, enforcement, keep, flights, disruption, anonymisation, amendment). A row trigger keeps
 * it, so no writer can forget it and none can set it: whatever an UPDATE writes to `version`, the
 * stored value is the old one plus one. The WHEN clause leaves rows an UPDATE did not change at
 * their version and keeps the trigger function out of such statements entirely.
 *
 * It is what `ETag` and `If-Match` compare (412 version_mismatch for a stale one), decided under
 * the booking's row lock.
 */
export class BookingVersion1764430000000 implements MigrationInterface {
  name = 'BookingVersion1764430000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE bookings ADD COLUMN version integer NOT NULL DEFAULT 1 CONSTRAINT bookings_version_positive CHECK (version >= 1);

      CREATE FUNCTION bump_booking_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.version := OLD.version + 1;
        RETURN NEW;
      END $$;

      CREATE TRIGGER bookings_version BEFORE UPDATE ON bookings
        FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION bump_booking_version();
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TRIGGER bookings_version ON bookings;
      DROP FUNCTION bump_booking_version();
      ALTER TABLE bookings DROP COLUMN version;
    `);
  }
}
