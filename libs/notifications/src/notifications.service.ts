import { Injectable } from '@nestjs/common';
import { decodeCursor, pageOf, NotFound, Page } from '#libs/shared';
import { EntityManager } from 'typeorm';
import { CancellationNotices, NewNotification, NotificationRow, NotificationsRepository } from './notifications.repository';

@Injectable()
export class NotificationsService {
  constructor(private readonly repository: NotificationsRepository) {}

  async inbox(agencyId: string, options: { cursor?: string; limit: number; unacknowledgedOnly: boolean }): Promise<Page<NotificationRow>> {
    const after = options.cursor ? decodeCursor<{ sequence: string }>('notifications', options.cursor, ['sequence']).sequence : undefined;
    if (after !== undefined && !/^\d{1,18}$/.test(after)) decodeCursor('notifications', '', ['sequence']);
    const rows = await this.repository.listInbox(agencyId, {
      afterSequence: after,
      limit: options.limit + 1,
      unacknowledgedOnly: options.unacknowledgedOnly,
    });
    return pageOf(rows, options.limit, 'notifications', (row) => ({ sequence: row.sequence }));
  }

  async acknowledgeUpTo(agencyId: string, notificationId: string): Promise<{ acknowledged: number; upTo: string }> {
    const notification = await this.repository.findInInbox(agencyId, notificationId);
    if (!notification) throw new NotFound('Notification', notificationId);
    const acknowledged = await this.repository.acknowledgeUpTo(agencyId, notification.sequence);
    return { acknowledged, upTo: notificationId };
  }

  // --- inside the caller's transaction ---------------------------------------------------------

  /**
   * Writes notifications inside the caller's transaction (the outbox rule: a change and its
   * notification commit together), locking the agencies' inboxes first. Returns the ids of the rows actually inserted.
   */
  async insertMany(manager: EntityManager, notifications: NewNotification[]): Promise<string[]> {
    return this.repository.insertMany(manager, notifications);
  }

  /**
   * `booking.cancelled` for bookings given column-wise as PostgreSQL array literals, as another
   * statement returned them (a ban's chunk: see `BookingsRepository.cancelForRestriction`), so
   * that thousands of them are neither parsed nor serialised on the way; of the agencies named.
   */
  async insertCancellations(manager: EntityManager, cancellations: CancellationNotices): Promise<void> {
    return this.repository.insertCancellations(manager, cancellations);
  }

  /**
   * Locks the inboxes of these agencies until the caller's transaction ends (the writes above lock
   * theirs too): a caller with several writes takes every inbox at once, in the one order.
   */
  async lockInboxes(manager: EntityManager, agencyIds: string[]): Promise<void> {
    return this.repository.lockInboxes(manager, agencyIds);
  }

  /** Erases the guest names that notifications about these bookings carry, in the caller's transaction. */
  async eraseGuestNames(manager: EntityManager, bookingIds: string[]): Promise<number> {
    return this.repository.eraseGuestNames(manager, bookingIds);
  }
}
