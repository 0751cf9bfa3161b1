import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook delivery by agency: the dispatcher claims each agency's due deliveries apart (a few
 * per agency per claim, fewest in flight first), so one agency's backlog is no queue in front of
 * another's; and the oldest pending delivery of each agency is one index probe, for its metric.
 * Both indexes hold pending deliveries only. The claim no longer reads the due deliveries of all
 * agencies in one order, so that index goes.
 */
export class WebhookFairness1764450000001 implements MigrationInterface {
  name = 'WebhookFairness1764450000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE INDEX notifications_agency_delivery_due ON notifications (agency_id, next_attempt_at) WHERE delivery_state = 'pending';
      CREATE INDEX notifications_agency_oldest_pending ON notifications (agency_id, created_at) WHERE delivery_state = 'pending';
      DROP INDEX notifications_delivery_due;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE INDEX notifications_delivery_due ON notifications (next_attempt_at) WHERE delivery_state = 'pending';
      DROP INDEX notifications_agency_oldest_pending;
      DROP INDEX notifications_agency_delivery_due;
    `);
  }
}
