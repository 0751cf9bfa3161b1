import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail (PRODUCT.md "Audit trail"): one row per change, written in the change's own
 * transaction. Append-only. The indexes serve the list's filters, each ending in (at, id) so that
 * a page, newest first, is read straight off the index: by entity (a booking's history), by cause
 * ("everything restriction X did"), by actor key, by action, and by time alone. Cause and actor
 * indexes are partial: most rows have no cause id (requests) or no key (jobs).
 */
export class AuditEvents1764440000000 implements MigrationInterface {
  name = 'AuditEvents1764440000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        at timestamptz NOT NULL DEFAULT clock_timestamp(),
        action text NOT NULL,
        entity_type text NOT NULL,
        entity_id text NOT NULL,
        actor_type text NOT NULL,
        actor_key_id uuid,
        actor_role text,
        actor_agency_id uuid,
        cause_type text NOT NULL,
        cause_id uuid,
        changes jsonb NOT NULL DEFAULT '{}'::jsonb,
        request_id text,
        CONSTRAINT audit_events_actor CHECK (
          (actor_type = 'api_key' AND actor_key_id IS NOT NULL AND actor_role IS NOT NULL)
          OR (actor_type = 'system' AND actor_key_id IS NULL AND actor_role IS NULL AND actor_agency_id IS NULL)),
        CONSTRAINT audit_events_cause CHECK (cause_type IN ('request', 'restriction', 'hold_expiry', 'party_decision_deadline',
          'flight_cancellation', 'route_suspension', 'retention')),
        CONSTRAINT audit_events_changes CHECK (jsonb_typeof(changes) = 'object')
      )
    `);
    await queryRunner.query(`CREATE INDEX audit_events_by_time ON audit_events (at, id)`);
    await queryRunner.query(`CREATE INDEX audit_events_by_entity ON audit_events (entity_id, at, id)`);
    await queryRunner.query(`CREATE INDEX audit_events_by_cause ON audit_events (cause_id, at, id) WHERE cause_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX audit_events_by_actor_key ON audit_events (actor_key_id, at, id) WHERE actor_key_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX audit_events_by_action ON audit_events (action, at, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_events`);
  }
}
