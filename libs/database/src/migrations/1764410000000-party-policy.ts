import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Parties a restriction only partly covers: each agency's policy for them, the decision a
 * booking may be waiting for after its covered guests were removed, and the count of bookings
 * an enforcement reduced rather than cancelled.
 */
export class PartyPolicy1764410000000 implements MigrationInterface {
  name = 'PartyPolicy1764410000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      -- A constant default: adding the column does not rewrite the table.
      ALTER TABLE agencies
        ADD COLUMN party_policy text NOT NULL DEFAULT 'cancel_booking'
          CHECK (party_policy IN ('cancel_booking', 'remove_covered_guests', 'ask'));

      -- Set when enforcement removed guests under the 'ask' policy: the agency keeps the reduced
      -- party (POST /v1/bookings/{id}/keep) or cancels before the deadline, else it is cancelled.
      ALTER TABLE bookings
        ADD COLUMN action_required_reason text CHECK (action_required_reason IN ('guests_removed')),
        ADD COLUMN action_required_restriction_id uuid,
        ADD COLUMN action_required_deadline timestamptz,
        ADD CONSTRAINT action_required_complete CHECK (
          (action_required_reason IS NULL) = (action_required_restriction_id IS NULL)
          AND (action_required_reason IS NULL) = (action_required_deadline IS NULL)),
        -- A cancelled booking waits for no decision.
        ADD CONSTRAINT action_required_only_when_live CHECK (action_required_reason IS NULL OR status <> 'cancelled');
      -- The deadline sweep: overdue decisions, oldest first.
      CREATE INDEX bookings_party_decision_deadline ON bookings (action_required_deadline) WHERE action_required_deadline IS NOT NULL;

      ALTER TABLE restrictions
        ADD COLUMN reduced_bookings integer NOT NULL DEFAULT 0 CHECK (reduced_bookings >= 0);
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE restrictions DROP COLUMN reduced_bookings;
      DROP INDEX bookings_party_decision_deadline;
      ALTER TABLE bookings
        DROP CONSTRAINT action_required_only_when_live,
        DROP CONSTRAINT action_required_complete,
        DROP COLUMN action_required_deadline,
        DROP COLUMN action_required_restriction_id,
        DROP COLUMN action_required_reason;
      ALTER TABLE agencies DROP COLUMN party_policy;
    `);
  }
}
