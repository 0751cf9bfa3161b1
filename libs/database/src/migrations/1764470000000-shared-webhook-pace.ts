import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One pace for webhook deliveries while a ban is being enforced, shared by every worker: a token
 * bucket in one row (`WebhookDeliveriesRepository.takeFromSharedPace`). Each worker used to keep
 * its own bucket, so n workers delivered at n times WEBHOOK_RATE_DURING_ENFORCEMENT and took
 * the cores the pace is there to leave to the enforcement and other agencies' bookings. The row
 * is written on first use.
 */
export class SharedWebhookPace1764470000000 implements MigrationInterface {
  name = 'SharedWebhookPace1764470000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhook_pace (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        tokens double precision NOT NULL CHECK (tokens >= 0),
        granted integer NOT NULL CHECK (granted >= 0),
        updated_at timestamptz NOT NULL
      );
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webhook_pace`);
  }
}
