import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A restriction lifted before it took effect used to keep enforcement_state 'pending' forever,
 * though its enforcement will never run. A lift now ends every enforcement; this brings the rows
 * lifted before the change to the same terminal state (nothing was cancelled by them).
 */
export class LiftedRestrictionsCompleted1764386000000 implements MigrationInterface {
  name = 'LiftedRestrictionsCompleted1764386000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      UPDATE restrictions SET enforcement_state = 'completed', enforcement_started_at = coalesce(enforcement_started_at, lifted_at),
             enforcement_completed_at = coalesce(enforcement_completed_at, lifted_at)
       WHERE lifted_at IS NOT NULL AND enforcement_state <> 'completed'
    `);
  }

  async down(): Promise<void> {
    // Nothing to undo: 'completed' is right for a lifted restriction under either version.
  }
}
