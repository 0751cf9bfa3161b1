import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications that name guests a restriction removed from a booking (`removedGuests`) are
 * found by booking when that booking's guest data is erased: a small partial index, since only
 * these two types carry names.
 */
export class RemovedGuestNamesIndex1764420000000 implements MigrationInterface {
  name = 'RemovedGuestNamesIndex1764420000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE INDEX notifications_naming_removed_guests ON notifications ((data->>'bookingId'))
        WHERE type IN ('booking.guests_removed', 'booking.action_required')
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX notifications_naming_removed_guests`);
  }
}
