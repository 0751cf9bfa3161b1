import { Injectable, Logger } from '@nestjs/common';
import { systemOrigin } from '#libs/audit';
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
      if (!booking || booking.status === 'cancelled' || !booking.actionRequiredDeadline || !booking.actionRequiredRestrictionId)
        return { cancelled: false };
      const remainingMs = new Date(booking.actionRequiredDeadline).getTime() - this.clock.now().getTime();
      if (remainingMs > 0) return { cancelled: false, remainingMs, restrictionId: booking.actionRequiredRestrictionId };
      await this.cancellation.cancelLocked(manager, [booking], {
        reason: 'restriction',
        restrictionId: booking.actionRequiredRestrictionId,
        origin: systemOrigin({ type: 'party_decision_deadline', id: booking.actionRequiredRestrictionId }),
      });
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

  /**
   * Handles `sweep-party-decisions`: cancels every overdue decision. One restriction's bookings per
   * transaction: a cancellation records the restriction that asked, and a single `cancelLocked`
   * per transaction takes its locks in the one order (inboxes, then nights, then flights); a
   * second call would take inboxes after nights. Overdue bookings of other restrictions locked
   * meanwhile are let go at commit and taken by the next transaction.
   */
  async sweepOverdueDecisions(): Promise<number> {
    let total = 0;
    for (;;) {
      const chunk = await this.cancellation.transaction(async (manager) => {
        const overdue = await this.bookings.lockOverdueDecisions(manager, this.clock.now(), SWEEP_CHUNK);
        const restrictionId = overdue[0]?.actionRequiredRestrictionId;
        if (!restrictionId) return { cancelled: 0, more: false };
        const asked = overdue.filter((booking) => booking.actionRequiredRestrictionId === restrictionId);
        const cancelled = await this.cancellation.cancelLocked(manager, asked, {
          reason: 'restriction',
          restrictionId,
          origin: systemOrigin({ type: 'party_decision_deadline', id: restrictionId }),
        });
        return { cancelled: cancelled.length, more: overdue.length === SWEEP_CHUNK || asked.length < overdue.length };
      });
      total += chunk.cancelled;
      if (!chunk.more) break;
    }
    if (total > 0) this.logger.log(`sweep cancelled ${total} booking(s) whose party decision was overdue`);
    return total;
  }
}
