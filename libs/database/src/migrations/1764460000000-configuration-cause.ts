import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A change the service makes from its own configuration at startup (today: the operations key
 * of `BOOTSTRAP_OPERATIONS_KEY`) is audited too, as a system change with cause `configuration`:
 * no request made it and no job caused it.
 */
export class ConfigurationCause1764460000000 implements MigrationInterface {
  name = 'ConfigurationCause1764460000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE audit_events DROP CONSTRAINT audit_events_cause;
      ALTER TABLE audit_events ADD CONSTRAINT audit_events_cause CHECK (cause_type IN ('request', 'restriction', 'hold_expiry',
        'party_decision_deadline', 'flight_cancellation', 'route_suspension', 'retention', 'configuration'));
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The old constraint cannot hold those events: going back loses them.
    await queryRunner.query(`
      DELETE FROM audit_events WHERE cause_type = 'configuration';
      ALTER TABLE audit_events DROP CONSTRAINT audit_events_cause;
      ALTER TABLE audit_events ADD CONSTRAINT audit_events_cause CHECK (cause_type IN ('request', 'restriction', 'hold_expiry',
        'party_decision_deadline', 'flight_cancellation', 'route_suspension', 'retention'));
    `);
  }
}
