import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LockedBooking } from '#libs/bookings';
import { affectedBookingsCondition, RestrictionTarget } from '#libs/restrictions';

/** A slice of the id space, `[from, below)`, walked in id order past `after`. */
export interface IdRange {
  from: string;
  /** Exclusive; null: to the end. */
  below: string | null;
  /** The last id handled so far in this range; null: none yet. */
  after: string | null;
}

@Injectable()
export class EnforcementRepository {
  /**
   * Locks the next `limit` live bookings the restriction affects within `range`, in id order
   * (the order every bulk cancellation locks bookings in, so none of them wait on each other
   * in a circle). Bookings changed meanwhile by someone else fail the re-check under
   * `FOR UPDATE` and are not returned, so fewer than `limit` rows means the range is done:
   * no new affected booking can appear, as admission refuses them. Only id and status are
   * read: `BookingCancellation` returns the full rows it cancels.
   */
  async lockNextAffected(manager: EntityManager, target: RestrictionTarget, range: IdRange, limit: number): Promise<LockedBooking[]> {
    const condition = affectedBookingsCondition(target, 'b', 1);
    const next = condition.parameters.length + 1;
    return manager.query(
      `SELECT b.id, b.status FROM bookings b
        WHERE ${condition.sql}
          AND b.id >= $${next}::uuid AND ($${next + 1}::uuid IS NULL OR b.id < $${next + 1}::uuid)
          AND ($${next + 2}::uuid IS NULL OR b.id > $${next + 2}::uuid)
        ORDER BY b.id
        LIMIT $${next + 3}
        FOR UPDATE OF b`,
      [...condition.parameters, range.from, range.below, range.after, limit],
    );
  }
}
