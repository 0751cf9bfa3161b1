import { Injectable, Logger } from '@nestjs/common';
import { systemOrigin } from '#libs/audit';
import { jobIds, JobQueue } from '#libs/jobs';
import { Clock } from '#libs/shared';
import { BookingCancellation } from './booking-cancellation';
import { BookingsRepository } from './bookings.repository';

/** How many expired holds one sweep transaction releases. */
const SWEEP_CHUNK = 500;
/** Expired holds are released by the system, because they ran out. */
const HOLD_EXPIRY = systemOrigin({ type: 'hold_expiry' });

/**
 * Releases holds that ran out. Each hold has a delayed job (`expire-hold`); a periodic sweep
 * (`sweep-expired-holds`) catches any whose job was lost, e.g. when Redis was flushed.
 * Both go through `BookingCancellation`, which skips bookings already cancelled, so a hold
 * is released exactly once however many times it is processed.
 */
@Injectable()
export class HoldExpiryService {
  private readonly logger = new Logger(HoldExpiryService.name);

  constructor(
    private readonly bookings: BookingsRepository,
    private readonly cancellation: BookingCancellation,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
  ) {}

  /** Handles `expire-hold`: returns whether the hold was released now. */
  async expireHold(bookingId: string): Promise<boolean> {
    const result = await this.cancellation.transaction(async (manager) => {
      const booking = await this.bookings.lockById(manager, bookingId);
      if (!booking || booking.status !== 'held' || !booking.holdExpiresAt) return { released: false };
      const remainingMs = new Date(booking.holdExpiresAt).getTime() - this.clock.now().getTime();
      if (remainingMs > 0) return { released: false, remainingMs };
      await this.cancellation.cancelLocked(manager, [booking], { reason: 'hold_expired', origin: HOLD_EXPIRY });
      return { released: true };
    });
    if (result.remainingMs !== undefined) {
      // Fired early (clock skew between machines): come back when the hold really ends.
      await this.jobs.add(
        'expire-hold',
        { bookingId },
        { jobId: jobIds.expireHoldRescheduled(bookingId, this.clock.now()), delay: result.remainingMs },
      );
    }
    return result.released;
  }

  /** Handles `sweep-expired-holds`: releases every due hold, a chunk per transaction. */
  async sweepExpiredHolds(): Promise<number> {
    let total = 0;
    for (;;) {
      const released = await this.cancellation.transaction(async (manager) => {
        const due = await this.bookings.lockExpiredHolds(manager, this.clock.now(), SWEEP_CHUNK);
        return (await this.cancellation.cancelLocked(manager, due, { reason: 'hold_expired', origin: HOLD_EXPIRY })).length;
      });
      total += released;
      if (released < SWEEP_CHUNK) break;
    }
    if (total > 0) this.logger.log(`sweep released ${total} expired holds`);
    return total;
  }
}
