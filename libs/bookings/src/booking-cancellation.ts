import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CapacityRepository, nightDeltasFor } from '#libs/capacity';
import { Metrics } from '#libs/observability';
import { NewNotification, NotificationsRepository } from '#libs/notifications';
import { BookingRow, CancellationReason } from './booking.entity';
import { BookingsRepository } from './bookings.repository';

export interface Cancellation {
  reason: CancellationReason;
  restrictionId?: string | null;
}

/**
 * Cancels bookings inside the caller's transaction: status and reason, the capacity they
 * held released, and the agency's notification written in the same transaction. Used by
 * agent and operations cancellation, hold expiry and ban enforcement alike.
 *
 * Callers must have locked the bookings (`FOR UPDATE`) first; bookings that are already
 * cancelled are skipped, so running the same cancellation twice releases and notifies once.
 */
@Injectable()
export class BookingCancellation {
  constructor(
    private readonly bookings: BookingsRepository,
    private readonly capacity: CapacityRepository,
    private readonly notifications: NotificationsRepository,
    private readonly metrics: Metrics,
  ) {}

  async cancelLocked(manager: EntityManager, locked: BookingRow[], cancellation: Cancellation): Promise<BookingRow[]> {
    const live = locked.filter((booking) => booking.status !== 'cancelled');
    if (live.length === 0) return [];
    const cancelled = await this.bookings.markCancelled(
      manager,
      live.map((booking) => booking.id),
      { reason: cancellation.reason, restrictionId: cancellation.restrictionId ?? null },
    );
    const wasHeld = new Map(live.map((booking) => [booking.id, booking.status === 'held']));
    await this.capacity.lockAndAddToNights(
      manager,
      nightDeltasFor(
        cancelled.map((booking) => ({
          checkIn: booking.checkIn,
          checkOut: booking.checkOut,
          guests: booking.guestCount,
          held: wasHeld.get(booking.id) ?? false,
        })),
        -1,
      ),
    );
    await this.notifications.insertMany(manager, cancelled.flatMap((booking) => this.notificationFor(booking, cancellation)));
    this.metrics.bookingsCancelled.inc({ reason: cancellation.reason }, cancelled.length);
    return cancelled;
  }

  /** The agency is told about cancellations it did not ask for. */
  private notificationFor(booking: BookingRow, cancellation: Cancellation): NewNotification[] {
    if (cancellation.reason === 'agent_request') return [];
    const data = {
      bookingId: booking.id,
      reference: booking.reference,
      reason: cancellation.reason,
      checkIn: booking.checkIn,
      checkOut: booking.checkOut,
      ...(cancellation.restrictionId ? { restrictionId: cancellation.restrictionId } : {}),
    };
    if (cancellation.reason === 'hold_expired') {
      return [{ agencyId: booking.agencyId, type: 'booking.hold_expired', data, dedupeKey: `booking:${booking.id}:hold_expired` }];
    }
    return [{ agencyId: booking.agencyId, type: 'booking.cancelled', data, dedupeKey: `booking:${booking.id}:cancelled` }];
  }
}
