import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { decodeTimestampCursor, pageOf, Page, ValidationFailed } from '#libs/shared';
import type { AuditEventRow, NewAuditEvent } from './audit-event';
import { AuditEventFilter, AuditRepository } from './audit.repository';

/**
 * Records the audit trail and reads it. `record` runs in the caller's transaction (the one that
 * makes the change), so an event exists exactly when its change committed.
 */
@Injectable()
export class AuditService {
  constructor(private readonly repository: AuditRepository) {}

  /** Writes `events` in `manager`'s transaction, in one statement. */
  async record(manager: EntityManager, events: NewAuditEvent[]): Promise<void> {
    await this.repository.insertMany(manager, events);
  }

  /** Takes back, in the same transaction, the events of bookings that were drafted and then refused. */
  async discardBookings(manager: EntityManager, bookingIds: string[]): Promise<void> {
    await this.repository.deleteForEntities(manager, 'booking', bookingIds);
  }

  async list(filter: AuditEventFilter, limit: number, cursor?: string): Promise<Page<AuditEventRow>> {
    if (filter.from && filter.to && filter.to <= filter.from) throw ValidationFailed.field('to', 'must be after from');
    const before = cursor ? decodeTimestampCursor('audit-events', cursor, 'at') : undefined;
    const rows = await this.repository.list(filter, limit + 1, before);
    return pageOf(rows, limit, 'audit-events', (row) => ({ at: row.cursorAt, id: row.id }));
  }

  /** One entity's events, oldest first. */
  async historyOf(entityType: 'booking', entityId: string): Promise<AuditEventRow[]> {
    return this.repository.historyOf(entityType, entityId);
  }
}
