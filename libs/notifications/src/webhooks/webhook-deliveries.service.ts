import { Injectable } from '@nestjs/common';
import { AgenciesService } from '#libs/access';
import { decodeCursor, pageOf, NotFound, Page } from '#libs/shared';
import {
  AttemptRow,
  DeliveryRow,
  DeliveryState,
  DeliveryWithLastAttempt,
  WebhookDeliveriesRepository,
} from './webhook-deliveries.repository';

/** Operations' view of webhook deliveries: their state and every attempt. */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    private readonly repository: WebhookDeliveriesRepository,
    private readonly agencies: AgenciesService,
  ) {}

  async deliveryOf(notificationId: string): Promise<{ delivery: DeliveryRow; attempts: AttemptRow[] }> {
    const delivery = await this.repository.findDelivery(notificationId);
    if (!delivery) throw new NotFound('Notification', notificationId);
    return { delivery, attempts: await this.repository.listAttempts(notificationId) };
  }

  /**
   * Operations' "send them again now", once an agency's endpoint works again: its pending and
   * given-up deliveries become due at once, each with a fresh retry window (so one given up is
   * retried on the whole schedule again, then given up again if it still fails). Deliveries in
   * flight are left to their attempt. Returns how many were rescheduled.
   */
  async retryUndelivered(agencyId: string): Promise<number> {
    await this.agencies.get(agencyId); // 404 for an unknown agency rather than "0 rescheduled"
    return this.repository.rescheduleUndelivered(agencyId);
  }

  /** Each agency's oldest pending delivery, by age (agencies with none pending left out). */
  async oldestPendingByAgency(): Promise<{ agencyId: string; ageSeconds: number }[]> {
    return this.repository.oldestPendingByAgency();
  }

  async listForAgency(
    agencyId: string,
    options: { state?: DeliveryState; cursor?: string; limit: number },
  ): Promise<Page<DeliveryWithLastAttempt>> {
    await this.agencies.get(agencyId); // 404 for an unknown agency rather than an empty list
    const before = options.cursor
      ? decodeCursor<{ sequence: string }>('webhook-deliveries', options.cursor, ['sequence']).sequence
      : undefined;
    if (before !== undefined && !/^\d{1,18}$/.test(String(before))) decodeCursor('webhook-deliveries', '', ['sequence']);
    const rows = await this.repository.listForAgency(agencyId, { state: options.state, beforeSequence: before, limit: options.limit + 1 });
    return pageOf(rows, options.limit, 'webhook-deliveries', (row) => ({ sequence: row.sequence }));
  }
}
