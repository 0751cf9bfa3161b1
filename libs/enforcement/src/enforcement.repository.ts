import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LockedBooking } from '#libs/bookings';
import { PartyPolicy } from '#libs/access';
import { affectedBookingsCondition, keptAdultsPath, PartyOutcome, partyOutcomeExpression, RestrictionTarget } from '#libs/restrictions';

/** A slice of the id space, `[from, below)`, walked in id order past `after`. */
export interface IdRange {
  from: string;
  /** Exclusive; null: to the end. */
  below: string | null;
  /** The last id handled so far in this range; null: none yet. */
  after: string | null;
}

/** A booking a restriction affects, locked, with what enforcement is to do with it. */
export interface AffectedBooking extends LockedBooking {
  outcome: PartyOutcome;
  partyPolicy: PartyPolicy;
}

@Injectable()
export class EnforcementRepository {
  /**
   * Locks the next `limit` live bookings the restriction affects within `range`, in id order
   * (the order every bulk cancellation locks bookings in, so none of them wait on each other
   * in a circle), each with its outcome (`partyOutcomeExpression`, the same the preview counts)
   * under its agency's party policy. Bookings changed meanwhile by someone else fail the re-check
   * under `FOR UPDATE` and are not returned, so fewer than `limit` rows means the range is done:
   * no new affected booking can appear, as admission refuses them, and a reduced one has no
   * covered guest left. Only id, status and outcome are read: `BookingCancellation` returns the
   * rows it changes.
   */
  async lockNextAffected(manager: EntityManager, target: RestrictionTarget, range: IdRange, limit: number): Promise<AffectedBooking[]> {
    const condition = affectedBookingsCondition(target, 'b', 1);
    // $3 holds the nationality codes of the condition.
    const next = condition.parameters.length + 1;
    return manager.query(
      `SELECT b.id, b.status, a.party_policy AS "partyPolicy",
              ${partyOutcomeExpression(target.coverage, 'b', 'a.party_policy', 3, next + 4)} AS outcome
         FROM bookings b JOIN agencies a ON a.id = b.agency_id
        WHERE ${condition.sql}
          AND b.id >= $${next}::uuid AND ($${next + 1}::uuid IS NULL OR b.id < $${next + 1}::uuid)
          AND ($${next + 2}::uuid IS NULL OR b.id > $${next + 2}::uuid)
        ORDER BY b.id
        LIMIT $${next + 3}
        FOR UPDATE OF b`,
      [...condition.parameters, range.from, range.below, range.after, limit, keptAdultsPath(target.coverage)],
    );
  }
}
