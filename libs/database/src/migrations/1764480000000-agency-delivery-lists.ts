import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An agency's pending and given-up deliveries, newest first, without walking its history or
 * the whole table. The delivery list (`GET /v1/agencies/{id}/webhook-deliveries?state=…`, which
 * the console's agencies screen reads for every agency every 5 s) had two ways to go wrong on
 * a large table: through the inbox index, filtering by state, it read every notification the
 * agency ever got to find its few given-up ones (70-78 ms at a million); and through the unique
 * index on `sequence` alone, which the planner took when most notifications were pending
 * (another agency's ban), it walked the whole table backwards for an agency with none.
 *
 * So: both states get a partial index by (agency, sequence); the pending one replaces the one
 * by `created_at` (the oldest pending delivery's age is read from it too: the lowest sequence
 * pending; sequences follow commits per agency, so its age differs from the true oldest by at
 * most the length of a transaction). And the sequence is unique per agency (the inbox index,
 * which keyset pagination walks) instead of across the table: no statement orders
 * notifications of several agencies, the identity column numbers them once anyway, and a row
 * version costs one index entry less. The indexes are built in the migration's transaction,
 * which holds writes to notifications for a few seconds per million rows.
 */
export class AgencyDeliveryLists1764480000000 implements MigrationInterface {
  name = 'AgencyDeliveryLists1764480000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE INDEX notifications_agency_pending ON notifications (agency_id, sequence) WHERE delivery_state = 'pending';
      CREATE INDEX notifications_agency_failed ON notifications (agency_id, sequence) WHERE delivery_state = 'failed';
      DROP INDEX notifications_agency_oldest_pending;
      CREATE UNIQUE INDEX notifications_inbox_unique ON notifications (agency_id, sequence);
      DROP INDEX notifications_inbox;
      ALTER INDEX notifications_inbox_unique RENAME TO notifications_inbox;
      ALTER TABLE notifications DROP CONSTRAINT notifications_sequence_key;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE notifications ADD CONSTRAINT notifications_sequence_key UNIQUE (sequence);
      CREATE INDEX notifications_inbox_plain ON notifications (agency_id, sequence);
      DROP INDEX notifications_inbox;
      ALTER INDEX notifications_inbox_plain RENAME TO notifications_inbox;
      CREATE INDEX notifications_agency_oldest_pending ON notifications (agency_id, created_at) WHERE delivery_state = 'pending';
      DROP INDEX notifications_agency_failed;
      DROP INDEX notifications_agency_pending;
    `);
  }
}
