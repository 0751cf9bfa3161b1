import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export type NotificationType =
  | 'booking.cancelled'
  | 'booking.hold_expired'
  | 'booking.flight_cancelled'
  | 'booking.guests_removed'
  | 'booking.action_required';

export interface NewNotification {
  agencyId: string;
  type: NotificationType;
  data: { bookingId: string; reference: string } & Record<string, unknown>;
  /** Identifies the event; a second write of the same event is ignored. */
  dedupeKey: string;
}

export interface NotificationRow {
  id: string;
  sequence: string;
  agencyId: string;
  type: string;
  data: Record<string, unknown>;
  createdAt: Date;
  acknowledgedAt: Date | null;
}

const COLUMNS = `id, sequence::text AS sequence, agency_id AS "agencyId", type, data, created_at AS "createdAt", acknowledged_at AS "acknowledgedAt"`;

@Injectable()
export class NotificationsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Writes notifications inside the caller's transaction (the outbox rule: a change and its
   * notification commit together). Returns the ids of the rows actually inserted.
   */
  async insertMany(manager: EntityManager, notifications: NewNotification[]): Promise<string[]> {
    if (notifications.length === 0) return [];
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO notifications (agency_id, type, data, dedupe_key)
       SELECT n."agencyId", n.type, n.data, n."dedupeKey"
         FROM jsonb_to_recordset($1::jsonb) AS n("agencyId" uuid, type text, data jsonb, "dedupeKey" text)
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id`,
      [JSON.stringify(notifications)],
    );
    return rows.map((row) => row.id);
  }

  async listInbox(agencyId: string, options: { afterSequence?: string; limit: number; unacknowledgedOnly: boolean }): Promise<NotificationRow[]> {
    return this.dataSource.query(
      `SELECT ${COLUMNS} FROM notifications
        WHERE agency_id = $1 AND ($2::bigint IS NULL OR sequence > $2::bigint)
          AND (NOT $3::boolean OR acknowledged_at IS NULL)
        ORDER BY sequence LIMIT $4`,
      [agencyId, options.afterSequence ?? null, options.unacknowledgedOnly, options.limit],
    );
  }

  async findInInbox(agencyId: string, id: string): Promise<NotificationRow | undefined> {
    const rows: NotificationRow[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM notifications WHERE agency_id = $1 AND id = $2`, [
      agencyId,
      id,
    ]);
    return rows[0];
  }

  /** Acknowledges the notification with this sequence and every older one of the agency. */
  async acknowledgeUpTo(agencyId: string, sequence: string): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `UPDATE notifications SET acknowledged_at = now()
        WHERE agency_id = $1 AND sequence <= $2::bigint AND acknowledged_at IS NULL`,
      [agencyId, sequence],
    );
    return result[1];
  }
}
