import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor, NotFound, Page } from '#libs/shared';
import { NotificationRow, NotificationsRepository } from './notifications.repository';

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
    const data = rows.slice(0, options.limit);
    const last = data[data.length - 1];
    return { data, nextCursor: rows.length > options.limit && last ? encodeCursor('notifications', { sequence: last.sequence }) : null };
  }

  async acknowledgeUpTo(agencyId: string, notificationId: string): Promise<{ acknowledged: number; upTo: string }> {
    const notification = await this.repository.findInInbox(agencyId, notificationId);
    if (!notification) throw new NotFound('Notification', notificationId);
    const acknowledged = await this.repository.acknowledgeUpTo(agencyId, notification.sequence);
    return { acknowledged, upTo: notificationId };
  }
}
