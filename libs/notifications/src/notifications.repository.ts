import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Narrowed, RowOf, selectList } from '#libs/database';

export type NotificationType =
  | 'booking.cancelled'
  | 'booking.hold_expired'
  | 'booking.flight_cancelled'
  | 'booking.guests_removed'
  | 'booking.action_required'
  | 'booking.amended';

export interface NewNotification {
  agencyId: string;
  type: NotificationType;
  data: { bookingId: string; reference: string } & Record<string, unknown>;
  /** Identifies the event; a second write of the same event is ignored. */
  dedupeKey: string;
}

const NOTIFICATION_SELECT = selectList('notifications', null, [
  'id',
  'sequence',
  'agency_id',
  'type',
  'data',
  'created_at',
  'acknowledged_at',
]);
/** An inbox entry; `sequence` (a bigint, so a string) is insertion order: the inbox's cursor and what "older" means for acknowledgement. */
export type NotificationRow = Narrowed<RowOf<typeof NOTIFICATION_SELECT>, { data: Record<string, unknown> }>;

/**
 * `booking.cancelled` for many bookings, column-wise (see `insertCancellations`): the agencies
 * whose inboxes to lock, and each column the text of a PostgreSQL array.
 */
export interface CancellationNotices {
  agencyIds: string[];
  columns: { bookingIds: string; references: string; agencyIds: string; checkIns: string; checkOuts: string };
  reason: string;
  restrictionId: string | null;
}

/** First key of the advisory locks on agencies' inboxes (any constant no other lock of Kalma uses). */
const INBOX_LOCK_NAMESPACE = 0x6b6e; // "kn"

@Injectable()
export class NotificationsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Writes notifications inside the caller's transaction (the outbox rule: a change and its
   * notification commit together). Returns the ids of the rows actually inserted.
   */
  async insertMany(manager: EntityManager, notifications: NewNotification[]): Promise<string[]> {
    if (notifications.length === 0) return [];
    await this.lockInboxes(manager, [...new Set(notifications.map((notification) => notification.agencyId))]);
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

  /**
   * `booking.cancelled` for many bookings cancelled for one reason, given column-wise as
   * PostgreSQL array literals (the text of a `uuid[]`, `text[]` or `date[]`, element i of each
   * column about booking i), as another statement returned them: they come back to PostgreSQL
   * unparsed, and each `data` is built here, the shape `NewNotification` of a cancellation has.
   */
  async insertCancellations(manager: EntityManager, cancellations: CancellationNotices): Promise<void> {
    await this.lockInboxes(manager, cancellations.agencyIds);
    const { columns } = cancellations;
    await manager.query(
      `INSERT INTO notifications (agency_id, type, data, dedupe_key)
       SELECT c.agency_id, 'booking.cancelled',
              jsonb_build_object('bookingId', c.id, 'reference', c.reference, 'reason', $6::text, 'checkIn', c.check_in, 'checkOut', c.check_out)
                || CASE WHEN $7::uuid IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('restrictionId', $7::uuid) END,
              'booking:' || c.id || ':cancelled'
         FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::date[], $5::date[]) AS c(id, reference, agency_id, check_in, check_out)
       ON CONFLICT (dedupe_key) DO NOTHING`,
      [
        columns.bookingIds,
        columns.references,
        columns.agencyIds,
        columns.checkIns,
        columns.checkOuts,
        cancellations.reason,
        cancellations.restrictionId,
      ],
    );
  }

  /**
   * Serialises writers of one agency's inbox from their insert until their commit. An inbox is
   * paged by `sequence`, which is drawn when a row is inserted, not when it commits: without this,
   * a transaction holding sequence 41 could commit after another's 42, and an agency whose
   * cursor had already passed 42 would never see 41. Under the lock, a row's sequence is above
   * every sequence of that inbox still uncommitted elsewhere. Locks are taken in one order (by
   * key), so writers of several inboxes never deadlock one another; other inboxes are not
   * delayed. The lock order across Kalma: bookings, agencies' hold counters, inboxes, nights (by
   * date), flights (by id): a writer that holds a night or a flight must not write notifications
   * after it.
   */
  async lockInboxes(manager: EntityManager, agencyIds: string[]): Promise<void> {
    if (agencyIds.length === 0) return;
    await manager.query(
      `SELECT pg_advisory_xact_lock(${INBOX_LOCK_NAMESPACE}, key)
         FROM (SELECT DISTINCT hashtext(agency_id) AS key FROM unnest($1::text[]) AS agency_id) keys
        ORDER BY key`,
      [agencyIds],
    );
  }

  /**
   * Erases the guest names that notifications about these bookings carry (`removedGuests` of
   * `booking.guests_removed` and `booking.action_required`), in the caller's transaction: when a
   * booking's guests are anonymised, so are the guests it lost to a restriction. Nationalities stay.
   */
  async eraseGuestNames(manager: EntityManager, bookingIds: string[]): Promise<number> {
    if (bookingIds.length === 0) return 0;
    const result: [unknown[], number] = await manager.query(
      `UPDATE notifications n
          SET data = jsonb_set(n.data, '{removedGuests}',
                (SELECT coalesce(jsonb_agg(jsonb_build_object('fullName', NULL, 'nationality', g.guest->'nationality') ORDER BY g.position), '[]'::jsonb)
                   FROM jsonb_array_elements(n.data->'removedGuests') WITH ORDINALITY AS g(guest, position)))
        WHERE n.type IN ('booking.guests_removed', 'booking.action_required') AND (n.data->>'bookingId') = ANY($1::text[])
          AND jsonb_typeof(n.data->'removedGuests') = 'array'`,
      [bookingIds],
    );
    return result[1];
  }

  /**
   * Oldest first, keyset-paginated on sequence. The columns are qualified on purpose: a bare
   * `ORDER BY sequence` names an output column of that name first, and one cast to text (as
   * `sequence::text AS sequence` once was) sorts "10" before "9", so a page ended on the wrong row
   * and the next one skipped the rest. (pg returns a bigint as a string: no cast is needed.)
   */
  async listInbox(
    agencyId: string,
    options: { afterSequence?: string; limit: number; unacknowledgedOnly: boolean },
  ): Promise<NotificationRow[]> {
    return this.dataSource.query(
      `SELECT ${NOTIFICATION_SELECT.sql} FROM notifications n
        WHERE n.agency_id = $1 AND ($2::bigint IS NULL OR n.sequence > $2::bigint)
          AND (NOT $3::boolean OR n.acknowledged_at IS NULL)
        ORDER BY n.sequence LIMIT $4`,
      [agencyId, options.afterSequence ?? null, options.unacknowledgedOnly, options.limit],
    );
  }

  async findInInbox(agencyId: string, id: string): Promise<NotificationRow | undefined> {
    const rows: NotificationRow[] = await this.dataSource.query(
      `SELECT ${NOTIFICATION_SELECT.sql} FROM notifications WHERE agency_id = $1 AND id = $2`,
      [agencyId, id],
    );
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
