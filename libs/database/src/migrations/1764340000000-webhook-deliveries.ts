import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook delivery, the outbox's second half: the delivery state of each notification and a
 * log of every attempt. Postgres is the source of truth; the queue only wakes the dispatcher.
 */
export class WebhookDeliveries1764340000000 implements MigrationInterface {
  name = 'WebhookDeliveries1764340000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      -- pending: waiting for (another) attempt at next_attempt_at; delivered: a 2xx came back;
      -- failed: given up after the retry window; not_applicable: the agency had no webhook URL.
      -- A claimed delivery stays pending with next_attempt_at pushed out by a lease, so the
      -- claim of a worker that dies comes back by itself when the lease runs out.
      ALTER TABLE notifications
        ADD COLUMN delivery_state text NOT NULL DEFAULT 'pending'
          CHECK (delivery_state IN ('pending', 'delivered', 'failed', 'not_applicable')),
        ADD COLUMN next_attempt_at timestamptz DEFAULT now(),
        ADD COLUMN delivery_attempts integer NOT NULL DEFAULT 0 CHECK (delivery_attempts >= 0),
        ADD COLUMN delivered_at timestamptz,
        ADD CONSTRAINT pending_deliveries_are_scheduled CHECK ((delivery_state = 'pending') = (next_attempt_at IS NOT NULL)),
        ADD CONSTRAINT delivered_deliveries_have_a_time CHECK ((delivery_state = 'delivered') = (delivered_at IS NOT NULL));

      -- The dispatcher's claim: due pending deliveries, oldest due first. Small, as only pending rows are in it.
      CREATE INDEX notifications_delivery_due ON notifications (next_attempt_at) WHERE delivery_state = 'pending';
      -- Operations' view of one agency's deliveries walks notifications_inbox (agency_id, sequence): no extra
      -- index on delivery_state, since every claim and outcome rewrites the row and each index costs a write.

      CREATE TABLE webhook_attempts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        notification_id uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
        -- The notification's delivery_attempts when this attempt was claimed: 1, 2, 3...
        attempt integer NOT NULL CHECK (attempt >= 1),
        url text NOT NULL,
        attempted_at timestamptz NOT NULL,
        duration_ms integer NOT NULL CHECK (duration_ms >= 0),
        -- The HTTP status, or NULL when no response came back (timeout, refused address, connection error).
        status_code integer CHECK (status_code BETWEEN 100 AND 599),
        error text,
        succeeded boolean NOT NULL,
        CONSTRAINT one_row_per_attempt UNIQUE (notification_id, attempt),
        CONSTRAINT failures_say_why CHECK (succeeded OR status_code IS NOT NULL OR error IS NOT NULL)
      );
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TABLE webhook_attempts;
      DROP INDEX notifications_delivery_due;
      ALTER TABLE notifications
        DROP CONSTRAINT delivered_deliveries_have_a_time,
        DROP CONSTRAINT pending_deliveries_are_scheduled,
        DROP COLUMN delivered_at,
        DROP COLUMN delivery_attempts,
        DROP COLUMN next_attempt_at,
        DROP COLUMN delivery_state;
    `);
  }
}
