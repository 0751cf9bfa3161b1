import { Injectable, Logger } from '@nestjs/common';
import { jobIds, JobQueue } from '#libs/jobs';
import { Clock } from '#libs/shared';
import { BookingCancellation } from './booking-cancellation';
import { BookingsRepository } from './bookings.repository';

/** How many overdue decisions one sweep transaction cancels. */
const SWEEP_CHUNK = 500;

/**
 * Cancels the reduced bookings whose agency (party policy `ask`) neither kept nor cancelled them
 * by their deadline, with reason `restriction` and the restriction's id. Each has a delayed job
 * (`expire-party-decision`, enqueued by enforcement); a periodic sweep (`sweep-party-decisions`)
 * catches any whose job was lost. Like `POST /v1/bookings/{id}/keep`, both decide under the
 * booking's row lock, on the decision still pending and its deadline passed, so a keep racing the
 * deadline ends in exactly one of the two outcomes.
 */
@Injectable()
export class PartyDecisionService {
  private readonly logger = new Logger(PartyDecisionService.name);

  constructor(
    private readonly bookings: BookingsRepository,
    private readonly cancellation: BookingCancellation,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
  ) {}

  /** Handles `expire-party-decision`: returns whether the booking was cancelled now. */
  async expireDecision(bookingId: string): Promise<boolean> {
    const result = await this.cancellation.transaction(async (manager) => {
      const booking = await this.bookings.lockById(manager, bookingId);
      if (!booking || booking.status === 'cancelled' || !booking.actionRequiredDeadline || !booking.actionRequiredRestrictionId) return { cancelled: false };
      const remainingMs = new Date(booking.actionRequiredDeadline).getTime() - this.clock.now().getTime();
      if (remainingMs > 0) return { cancelled: false, remainingMs, restrictionId: booking.actionRequiredRestrictionId };
      await this.cancellation.cancelLocked(manager, [booking], { reason: 'restriction', restrictionId: booking.actionRequiredRestrictionId });
      return { cancelled: true };
    });
    if (result.remainingMs !== undefined && result.restrictionId) {
      // Fired early (clock skew between machines): come back when the deadline really passes.
      await this.jobs.add(
        'expire-party-decision',
        { bookingId },
        { jobId: jobIds.partyDecisionRescheduled(bookingId, result.restrictionId, this.clock.now()), delay: result.remainingMs },
      );
    }
    return result.cancelled;
  }

  /** Handles `sweep-party-decisions`: cancels every overdue decision, a chunk per transaction. */
  async sweepOverdueDecisions(): Promise<number> {
    let total = 0;
    for (;;) {
      const cancelled = await this.cancellation.transaction(async (manager) => {
        const overdue = await this.bookings.lockOverdueDecisions(manager, this.clock.now(), SWEEP_CHUNK);
        // One restriction at a time: each cancellation records the restriction that asked.
        const byRestriction = new Map<string, typeof overdue>();
        for (const booking of overdue) {
          const restrictionId = booking.actionRequiredRestrictionId as string;
          byRestriction.set(restrictionId, [...(byRestriction.get(restrictionId) ?? []), booking]);
        }
        let count = 0;
        for (const [restrictionId, bookings] of byRestriction) {
          count += (await this.cancellation.cancelLocked(manager, bookings, { reason: 'restriction', restrictionId })).length;
        }
        return { count, locked: overdue.length };
      });
      total += cancelled.count;
      if (cancelled.locked < SWEEP_CHUNK) break;
    }
    if (total > 0) this.logger.log(`sweep cancelled ${total} booking(s) whose party decision was overdue`);
    return total;
  }
}
