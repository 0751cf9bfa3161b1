import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Redelivery on request (operations' `POST /v1/agencies/{id}/webhook-deliveries/retry`): a
 * delivery can be given a fresh retry window, so one given up is retried on the full schedule
 * again instead of being given up after its next failure. The attempt numbers themselves never
 * restart (each attempt keeps its row in webhook_attempts), so the window is where they are counted from.
 */
export class WebhookRedelivery1764350000000 implements MigrationInterface {
  name = 'WebhookRedelivery1764350000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      -- NULL: the window started when the notification was written (created_at). Nullable and
      -- without a default, and a constant default for the count: neither rewrites the table.
      ALTER TABLE notifications
        ADD COLUMN retry_window_started_at timestamptz,
        -- delivery_attempts when the window started: attempts in the window = delivery_attempts - this.
        ADD COLUMN attempts_before_retry_window integer NOT NULL DEFAULT 0 CHECK (attempts_before_retry_window >= 0);
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE notifications
        DROP COLUMN attempts_before_retry_window,
        DROP COLUMN retry_window_started_at;
    `);
  }
}
