import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Narrowed, returnedRows, RowOf, selectList } from '#libs/database';
import type { PartyPolicy } from '#libs/access';
import { type AuditChanges, systemEventsInsertSql } from '#libs/audit';
import type { NightDelta } from '#libs/capacity';
import type { SeatDelta } from '#libs/flights';
import type { CancellationNotices } from '#libs/notifications';
import {
  affectedBookingsCondition,
  keptAdultsPath,
  partyOutcomeExpression,
  type PartyOutcome,
  type RestrictionTarget,
} from '#libs/restrictions';
import { cursorTimestampSql } from '#libs/shared';
import {
  ANONYMISED_BOOKING_SELECT,
  AnonymisedBooking,
  BOOKING_SELECT,
  BookingRow,
  BookingStatus,
  CANCELLED_BOOKING_SELECT,
  CancellationReason,
  CancelledBooking,
  Guest,
  StoredGuest,
} from './booking-row';
import { generateBookingReference } from './booking-reference';

/** What taking guests out of a booking needs to know of it afterwards, beside what cancelling does: what to release, whom to tell. */
const REDUCED_BOOKING_SELECT = selectList('bookings', 'b', [
  'status',
  'nationalities',
  'action_required_deadline',
  'action_required_restriction_id',
]);
export type ReducedBooking = CancelledBooking &
  Narrowed<RowOf<typeof REDUCED_BOOKING_SELECT>, { status: BookingStatus }> & {
    /** The guests taken out, as they were stored. */
    removedGuests: Guest[];
  };

const OVERDUE_DECISION_SELECT = selectList('bookings', 'b', ['id', 'status', 'action_required_restriction_id']);
const EXPIRED_HOLD_SELECT = selectList('bookings', 'b', ['id', 'status']);
const HELD_GUESTS_SELECT = selectList('agency_held_guests', null, ['agency_id', 'held_guests']);
const IDEMPOTENCY_RECORD_SELECT = selectList('idempotency_keys', null, ['request_hash', 'response_status', 'response_body']);
const IDEMPOTENCY_KEY_SELECT = selectList('idempotency_keys', null, ['agency_id', 'key']);

export interface NewBooking {
  id: string;
  agencyId: string;
  status: Exclude<BookingStatus, 'cancelled'>;
  checkIn: string;
  checkOut: string;
  guests: Guest[];
  holdExpiresAt: Date | null;
  outboundFlightId: string | null;
  returnFlightId: string | null;
  createdByKeyId: string | null;
}

export interface BookingListFilter {
  agencyId?: string;
  status?: BookingStatus;
  checkInFrom?: string;
  checkInTo?: string;
  /** One booking's short reference (e.g. KAL-7F3K9Q), as the console's search takes it. */
  reference?: string;
}

/** Live (held + confirmed) guests of one nationality on one night. */
export interface NightNationalityCount {
  date: string;
  nationality: string;
  guests: number;
}

/** Cancelled bookings column-wise, as `NotificationsService.insertCancellations` takes them. */
export type CancelledColumns = CancellationNotices['columns'];

/** A slice of the id space, `[from, below)`, walked in (check-in, id) order past `after`. */
export interface IdRange {
  from: string;
  /** Exclusive; null: to the end. */
  below: string | null;
  /** The last booking handled so far in this range, in (check-in, id) order; null: none yet. */
  after: ChunkCursor | null;
}

/** Where a chunk of enforcement ended: the last booking it took, in (check-in, id) order. */
export interface ChunkCursor {
  checkIn: string;
  id: string;
}

/** A booking a restriction affects, locked, with what enforcement is to do with it. */
export type AffectedBooking = Pick<BookingRow, 'id' | 'status'> & {
  outcome: PartyOutcome;
  partyPolicy: PartyPolicy;
};

export type IdempotencyRecord = RowOf<typeof IDEMPOTENCY_RECORD_SELECT>;

@Injectable()
export class BookingsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Inserts bookings in one statement with fresh references. A reference that collides with
   * an existing one is drawn again, so the caller's transaction never fails for it.
   */
  async insertMany(manager: EntityManager, bookings: NewBooking[]): Promise<BookingRow[]> {
    const inserted: BookingRow[] = [];
    let remaining = bookings;
    for (let attempt = 0; remaining.length > 0; attempt++) {
      if (attempt > 5) throw new Error('could not draw unique booking references');
      const rows: BookingRow[] = await manager.query(
        `INSERT INTO bookings AS b (id, reference, agency_id, status, check_in, check_out, guests, guest_count, nationalities,
                                    hold_expires_at, outbound_flight_id, return_flight_id, created_by_key_id)
         SELECT n.id, n.reference, n."agencyId", n.status, n."checkIn", n."checkOut", n.guests, jsonb_array_length(n.guests),
                ARRAY(SELECT DISTINCT g->>'nationality' FROM jsonb_array_elements(n.guests) g ORDER BY 1),
                n."holdExpiresAt", n."outboundFlightId", n."returnFlightId", n."createdByKeyId"
           FROM jsonb_to_recordset($1::jsonb) AS n(id uuid, reference text, "agencyId" uuid, status text, "checkIn" date,
                "checkOut" date, guests jsonb, "holdExpiresAt" timestamptz, "outboundFlightId" uuid, "returnFlightId" uuid,
                "createdByKeyId" uuid)
         ON CONFLICT (reference) DO NOTHING
         RETURNING ${BOOKING_SELECT.sql}`,
        [JSON.stringify(remaining.map((booking) => ({ ...booking, reference: generateBookingReference() })))],
      );
      inserted.push(...rows);
      const done = new Set(rows.map((row) => row.id));
      remaining = remaining.filter((booking) => !done.has(booking.id));
    }
    return inserted;
  }

  /** Deletes bookings written earlier in this transaction that admission then refused (never committed, never seen). */
  async deleteDrafts(manager: EntityManager, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(`DELETE FROM bookings WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async findById(id: string, agencyId?: string): Promise<BookingRow | undefined> {
    const rows: BookingRow[] = await this.dataSource.query(
      `SELECT ${BOOKING_SELECT.sql} FROM bookings b WHERE b.id = $1 AND ($2::uuid IS NULL OR b.agency_id = $2)`,
      [id, agencyId ?? null],
    );
    return rows[0];
  }

  async lockById(manager: EntityManager, id: string, agencyId?: string): Promise<BookingRow | undefined> {
    const rows: BookingRow[] = await manager.query(
      `SELECT ${BOOKING_SELECT.sql} FROM bookings b WHERE b.id = $1 AND ($2::uuid IS NULL OR b.agency_id = $2) FOR UPDATE`,
      [id, agencyId ?? null],
    );
    return rows[0];
  }

  /**
   * Newest first, keyset-paginated on (created_at, id). `cursorCreatedAt` is created_at to the
   * microsecond, for the next page's cursor (see cursorTimestampSql).
   */
  async list(
    filter: BookingListFilter,
    limit: number,
    before?: { createdAt: string; id: string },
  ): Promise<(BookingRow & { cursorCreatedAt: string })[]> {
    return this.dataSource.query(
      `SELECT ${BOOKING_SELECT.sql}, ${cursorTimestampSql('b.created_at')} AS "cursorCreatedAt" FROM bookings b
        WHERE ($1::uuid IS NULL OR b.agency_id = $1)
          AND ($2::text IS NULL OR b.status = $2)
          AND ($3::date IS NULL OR b.check_in >= $3)
          AND ($4::date IS NULL OR b.check_in < $4)
          AND ($5::timestamptz IS NULL OR (b.created_at, b.id) < ($5::timestamptz, $6::uuid))
          AND ($8::text IS NULL OR b.reference = $8)
        ORDER BY b.created_at DESC, b.id DESC
        LIMIT $7`,
      [
        filter.agencyId ?? null,
        filter.status ?? null,
        filter.checkInFrom ?? null,
        filter.checkInTo ?? null,
        before?.createdAt ?? null,
        before?.id ?? null,
        limit,
        filter.reference ?? null,
      ],
    );
  }

  /**
   * Live guests per night of [from, to) by nationality: what a ban on each nationality would
   * take out. Bookings overlapping the range only (check_in < to, check_out > from), each stay
   * cut to the range, one row per (night, nationality) that has guests.
   */
  async exposureByNight(from: string, to: string): Promise<NightNationalityCount[]> {
    return this.dataSource.query(
      `SELECT to_char(n.night, 'YYYY-MM-DD') AS date, g.guest->>'nationality' AS nationality, count(*)::int AS guests
        FROM bookings b
        CROSS JOIN LATERAL generate_series(greatest(b.check_in, $1::date), least(b.check_out, $2::date) - 1, interval '1 day') AS n(night)
        CROSS JOIN LATERAL jsonb_array_elements(b.guests) AS g(guest)
        WHERE b.status IN ('held', 'confirmed') AND b.check_in < $2::date AND b.check_out > $1::date
        GROUP BY n.night, g.guest->>'nationality'
        ORDER BY n.night, g.guest->>'nationality'`,
      [from, to],
    );
  }

  async markConfirmed(manager: EntityManager, id: string): Promise<BookingRow> {
    const result: [BookingRow[], number] = await manager.query(
      `UPDATE bookings b SET status = 'confirmed', hold_expires_at = NULL, updated_at = now() WHERE b.id = $1 RETURNING ${BOOKING_SELECT.sql}`,
      [id],
    );
    return returnedRows(result)[0];
  }

  /** Cancels live bookings; rows already cancelled are left as they are and not returned. */
  async markCancelled(
    manager: EntityManager,
    ids: string[],
    cancellation: { reason: CancellationReason; restrictionId: string | null },
  ): Promise<CancelledBooking[]> {
    const result: [CancelledBooking[], number] = await manager.query(
      `UPDATE bookings b SET status = 'cancelled', cancellation_reason = $2, cancellation_restriction_id = $3,
              cancelled_at = now(), updated_at = now(),
              -- A cancelled booking waits for no decision any more.
              action_required_reason = NULL, action_required_restriction_id = NULL, action_required_deadline = NULL
        WHERE b.id = ANY($1::uuid[]) AND b.status IN ('held', 'confirmed')
        RETURNING ${CANCELLED_BOOKING_SELECT.sql}`,
      [ids, cancellation.reason, cancellation.restrictionId],
    );
    return returnedRows(result);
  }

  /**
   * A ban's chunk of cancellations in one statement: marks the locked live bookings cancelled
   * (reason `restriction`) and writes their audit events beside, in PostgreSQL, so that thousands
   * of rows never travel to the worker and back. Returns what the caller needs next: how many were
   * cancelled; their agencies, whose inboxes it must lock before writing notifications; the
   * cancelled bookings column-wise, as the text of PostgreSQL arrays, for
   * `NotificationsService.insertCancellations` (the worker passes them on unread); and the nights
   * and seats to give back, summed. `locked` carries each booking's status as locked; `changes` the
   * audit event's changes for each status it may have had. Bookings already cancelled are
   * skipped, so a second run cancels, audits and releases nothing.
   */
  async cancelForRestriction(
    manager: EntityManager,
    locked: { id: string; status: BookingStatus }[],
    restrictionId: string,
    changes: { held: AuditChanges; confirmed: AuditChanges },
  ): Promise<{ cancelled: number; agencyIds: string[]; columns: CancelledColumns; nights: NightDelta[]; seats: SeatDelta[] }> {
    if (locked.length === 0)
      return {
        cancelled: 0,
        agencyIds: [],
        columns: { bookingIds: '{}', references: '{}', agencyIds: '{}', checkIns: '{}', checkOuts: '{}' },
        nights: [],
        seats: [],
      };
    const audited = systemEventsInsertSql({
      from: 'cancelled c',
      action: 'booking.cancelled',
      entityType: 'booking',
      entityId: 'c.id::text',
      causeType: 'restriction',
      causeId: '$3::uuid',
      // Two statuses, two sets of changes: built once by the caller, not once per row.
      changes: `CASE c.previous_status WHEN 'held' THEN $4::jsonb ELSE $5::jsonb END`,
    });
    // Ids and statuses go as two comma-joined strings: one parameter each, not thousands of array elements to quote.
    const rows: { cancelled: number; agencyIds: string[]; columns: CancelledColumns; nights: NightDelta[]; seats: SeatDelta[] }[] =
      await manager.query(
        `WITH cancelled AS (
           UPDATE bookings b SET status = 'cancelled', cancellation_reason = 'restriction', cancellation_restriction_id = $3::uuid,
                  cancelled_at = now(), updated_at = now(),
                  action_required_reason = NULL, action_required_restriction_id = NULL, action_required_deadline = NULL
             FROM unnest(string_to_array($1::text, ',')::uuid[], string_to_array($2::text, ',')) AS old(id, status)
            WHERE b.id = old.id AND b.status IN ('held', 'confirmed')
            RETURNING b.id, b.reference, b.agency_id, b.check_in, b.check_out, b.guest_count, b.outbound_flight_id, b.return_flight_id,
                      old.status AS previous_status
         ), audited AS (${audited}),
         night_releases AS (
           -- Stays first (a chunk holds a few dozen distinct ones), then their nights.
           SELECT to_char(night, 'YYYY-MM-DD') AS date, -sum(stay.guests)::int AS reserved, -sum(stay.held)::int AS held
             FROM (SELECT check_in, check_out, sum(guest_count) AS guests,
                          coalesce(sum(guest_count) FILTER (WHERE previous_status = 'held'), 0) AS held
                     FROM cancelled GROUP BY check_in, check_out) AS stay,
                  generate_series(stay.check_in, stay.check_out - 1, interval '1 day') AS night
            GROUP BY 1
         ), seat_releases AS (
           SELECT flight_id AS "flightId", -sum(guest_count)::int AS seats
             FROM (SELECT outbound_flight_id AS flight_id, guest_count FROM cancelled
                   UNION ALL SELECT return_flight_id, guest_count FROM cancelled) AS segment
            WHERE flight_id IS NOT NULL
            GROUP BY 1
         )
         SELECT (SELECT count(*)::int FROM cancelled) AS cancelled,
                (SELECT coalesce(array_agg(DISTINCT agency_id::text), '{}') FROM cancelled) AS "agencyIds",
                -- Column-wise, as the text of each array: the worker passes them on to the notifications unread.
                (SELECT json_build_object('bookingIds', coalesce(array_agg(c.id), '{}')::text,
                                          'references', coalesce(array_agg(c.reference), '{}')::text,
                                          'agencyIds', coalesce(array_agg(c.agency_id), '{}')::text,
                                          'checkIns', coalesce(array_agg(c.check_in), '{}')::text,
                                          'checkOuts', coalesce(array_agg(c.check_out), '{}')::text)
                   FROM cancelled c) AS columns,
                (SELECT coalesce(json_agg(n ORDER BY n.date), '[]') FROM night_releases n) AS nights,
                (SELECT coalesce(json_agg(s), '[]') FROM seat_releases s) AS seats`,
        [
          locked.map((booking) => booking.id).join(','),
          locked.map((booking) => booking.status).join(','),
          restrictionId,
          JSON.stringify(changes.held),
          JSON.stringify(changes.confirmed),
        ],
      );
    return rows[0];
  }

  /**
   * Takes guests out of locked live bookings: each keeps the guests `paths.kept` selects and loses
   * those `paths.removed` selects (JSON paths over `guests`, which the restriction builds), its
   * count and nationalities following. A booking given a `deadline` must then be kept or cancelled
   * by its agency (actionRequired, for `restrictionId`); one without keeps what it had. Bookings
   * that would lose nobody, or everybody, are left alone and not returned, so running this twice
   * removes guests once.
   */
  async removeGuests(
    manager: EntityManager,
    reductions: { id: string; deadline: Date | null }[],
    paths: { kept: string; removed: string },
    restrictionId: string,
  ): Promise<ReducedBooking[]> {
    if (reductions.length === 0) return [];
    const result: [ReducedBooking[], number] = await manager.query(
      `UPDATE bookings b
          SET guests = party.kept, guest_count = jsonb_array_length(party.kept),
              nationalities = ARRAY(SELECT DISTINCT g->>'nationality' FROM jsonb_array_elements(party.kept) g ORDER BY 1),
              action_required_reason = CASE WHEN party.deadline IS NULL THEN b.action_required_reason ELSE 'guests_removed' END,
              action_required_restriction_id = CASE WHEN party.deadline IS NULL THEN b.action_required_restriction_id ELSE $5::uuid END,
              action_required_deadline = COALESCE(party.deadline, b.action_required_deadline),
              updated_at = now()
         FROM (SELECT old.id, r.deadline, jsonb_path_query_array(old.guests, $3::jsonpath) AS kept,
                      jsonb_path_query_array(old.guests, $4::jsonpath) AS removed
                 FROM unnest($1::uuid[], $2::timestamptz[]) AS r(id, deadline) JOIN bookings old ON old.id = r.id) party
        WHERE b.id = party.id AND b.status IN ('held', 'confirmed')
          AND jsonb_array_length(party.kept) > 0 AND jsonb_array_length(party.removed) > 0
        RETURNING ${CANCELLED_BOOKING_SELECT.sql}, ${REDUCED_BOOKING_SELECT.sql}, party.removed AS "removedGuests"`,
      [
        reductions.map((reduction) => reduction.id),
        reductions.map((reduction) => reduction.deadline),
        paths.kept,
        paths.removed,
        restrictionId,
      ],
    );
    return returnedRows(result);
  }

  /**
   * Writes an amendment of a locked live booking: stay, guests (count and nationalities
   * following), flights; a pending decision (actionRequired) is answered by it and cleared. The
   * version trigger counts it; the hold-counter trigger follows a held party's size.
   */
  async amend(
    manager: EntityManager,
    id: string,
    amended: { checkIn: string; checkOut: string; guests: StoredGuest[]; outboundFlightId: string | null; returnFlightId: string | null },
  ): Promise<BookingRow> {
    const result: [BookingRow[], number] = await manager.query(
      `UPDATE bookings b
          SET check_in = $2, check_out = $3, guests = $4::jsonb, guest_count = jsonb_array_length($4::jsonb),
              nationalities = ARRAY(SELECT DISTINCT g->>'nationality' FROM jsonb_array_elements($4::jsonb) g ORDER BY 1),
              outbound_flight_id = $5, return_flight_id = $6,
              action_required_reason = NULL, action_required_restriction_id = NULL, action_required_deadline = NULL,
              updated_at = now()
        WHERE b.id = $1 RETURNING ${BOOKING_SELECT.sql}`,
      [id, amended.checkIn, amended.checkOut, JSON.stringify(amended.guests), amended.outboundFlightId, amended.returnFlightId],
    );
    return returnedRows(result)[0];
  }

  /** Clears a locked booking's pending decision (its agency keeps the reduced party). */
  async clearActionRequired(manager: EntityManager, id: string): Promise<BookingRow> {
    const result: [BookingRow[], number] = await manager.query(
      `UPDATE bookings b SET action_required_reason = NULL, action_required_restriction_id = NULL, action_required_deadline = NULL, updated_at = now()
        WHERE b.id = $1 RETURNING ${BOOKING_SELECT.sql}`,
      [id],
    );
    return returnedRows(result)[0];
  }

  /** Live bookings whose decision deadline has passed, locked, skipping any another worker is handling. */
  async lockOverdueDecisions(
    manager: EntityManager,
    now: Date,
    limit: number,
  ): Promise<Pick<BookingRow, 'id' | 'status' | 'actionRequiredRestrictionId'>[]> {
    return manager.query(
      `SELECT ${OVERDUE_DECISION_SELECT.sql} FROM bookings b
        WHERE b.action_required_deadline <= $1
        ORDER BY b.action_required_deadline LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
  }

  /** Held bookings whose hold has run out, locked, skipping any another worker is handling. */
  async lockExpiredHolds(manager: EntityManager, now: Date, limit: number): Promise<Pick<BookingRow, 'id' | 'status'>[]> {
    return manager.query(
      `SELECT ${EXPIRED_HOLD_SELECT.sql} FROM bookings b
        WHERE b.status = 'held' AND b.hold_expires_at <= $1
        ORDER BY b.hold_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
  }

  // --- guest data retention -------------------------------------------------------------

  /**
   * Bookings not yet anonymised whose check-out date is on or before `checkedOutBy` (a resort
   * date), or that were cancelled at or before `cancelledBy`; at most `limit`, locked, skipping any
   * another worker (or a request) holds, so two workers sweeping at once share the work.
   *
   * Two statements, one per partial index (see the guest-data-retention migration), each ordered
   * by its index's column: with one `OR`, and the parameters' values known, the planner
   * misjudged how many rows match (most bookings are anonymised, and it assumes the columns
   * independent) and scanned the whole table, 180 ms at a million bookings against well under one.
   * The second statement leaves out what the first covers, so no booking is returned twice.
   */
  async lockDueForAnonymisation(
    manager: EntityManager,
    due: { checkedOutBy: string; cancelledBy: Date },
    limit: number,
  ): Promise<string[]> {
    const checkedOut: { id: string }[] = await manager.query(
      `SELECT b.id FROM bookings b
        WHERE b.anonymised_at IS NULL AND b.check_out <= $1::date
        ORDER BY b.check_out LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [due.checkedOutBy, limit],
    );
    if (checkedOut.length >= limit) return checkedOut.map((row) => row.id);
    const cancelled: { id: string }[] = await manager.query(
      `SELECT b.id FROM bookings b
        WHERE b.status = 'cancelled' AND b.anonymised_at IS NULL AND b.cancelled_at <= $2::timestamptz AND b.check_out > $1::date
        ORDER BY b.cancelled_at LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [due.checkedOutBy, due.cancelledBy, limit - checkedOut.length],
    );
    return [...checkedOut, ...cancelled].map((row) => row.id);
  }

  /**
   * Erases the guests' personal data of these locked bookings in one statement: each guest keeps
   * its nationality (in the same order), `fullName` becomes null, date of birth and passport
   * number go. `guest_count` and `nationalities` are untouched, so reports, capacity counters and
   * ban previews read the same. Bookings already anonymised are left alone and not returned.
   */
  async anonymiseGuests(manager: EntityManager, ids: string[]): Promise<AnonymisedBooking[]> {
    if (ids.length === 0) return [];
    const result: [AnonymisedBooking[], number] = await manager.query(
      `UPDATE bookings b
          SET guests = (SELECT jsonb_agg(jsonb_build_object('fullName', NULL, 'nationality', g.guest->'nationality') ORDER BY g.position)
                          FROM jsonb_array_elements(b.guests) WITH ORDINALITY AS g(guest, position)),
              anonymised_at = now(), updated_at = now()
        WHERE b.id = ANY($1::uuid[]) AND b.anonymised_at IS NULL
        RETURNING ${ANONYMISED_BOOKING_SELECT.sql}`,
      [ids],
    );
    return returnedRows(result);
  }

  // --- hold limit --------------------------------------------------------------------------

  /**
   * Guests in status `held` per agency, as counted by the triggers on bookings. Read in the
   * admission transaction after its drafts were written, whose trigger locked these counters.
   */
  async heldGuestsOf(manager: EntityManager, agencyIds: string[]): Promise<Map<string, number>> {
    const rows: RowOf<typeof HELD_GUESTS_SELECT>[] = await manager.query(
      `SELECT ${HELD_GUESTS_SELECT.sql} FROM agency_held_guests WHERE agency_id = ANY($1::uuid[])`,
      [agencyIds],
    );
    return new Map(rows.map((row) => [row.agencyId, row.heldGuests]));
  }

  /** Guests of holds past their expiry that the sweep has not released yet, per agency. */
  async expiredHeldGuestsOf(manager: EntityManager, agencyIds: string[], now: Date): Promise<Map<string, number>> {
    const rows: { agencyId: string; guests: number }[] = await manager.query(
      `SELECT b.agency_id AS "agencyId", sum(b.guest_count)::int AS guests FROM bookings b
        WHERE b.status = 'held' AND b.hold_expires_at <= $2 AND b.agency_id = ANY($1::uuid[])
        GROUP BY b.agency_id`,
      [agencyIds, now],
    );
    return new Map(rows.map((row) => [row.agencyId, row.guests]));
  }

  // --- flights ---------------------------------------------------------------------------

  /** Sets a locked booking's flights (null: no such segment). */
  async setFlights(
    manager: EntityManager,
    id: string,
    flights: { outboundFlightId: string | null; returnFlightId: string | null },
  ): Promise<BookingRow> {
    const result: [BookingRow[], number] = await manager.query(
      `UPDATE bookings b SET outbound_flight_id = $2, return_flight_id = $3, updated_at = now() WHERE b.id = $1 RETURNING ${BOOKING_SELECT.sql}`,
      [id, flights.outboundFlightId, flights.returnFlightId],
    );
    return returnedRows(result)[0];
  }

  /**
   * Live bookings with a segment on this flight, locked in id order, at most `limit`. Rows that a
   * concurrent transaction cancels or moves meanwhile are re-checked after the wait and left out.
   */
  async lockLiveOnFlight(manager: EntityManager, flightId: string, limit: number): Promise<BookingRow[]> {
    return manager.query(
      `SELECT ${BOOKING_SELECT.sql} FROM bookings b
        WHERE b.status IN ('held', 'confirmed') AND (b.outbound_flight_id = $1 OR b.return_flight_id = $1)
        ORDER BY b.id LIMIT $2 FOR UPDATE`,
      [flightId, limit],
    );
  }

  /** Clears whichever segment of these locked bookings is on the flight; the bookings keep their stay. */
  async clearFlight(manager: EntityManager, ids: string[], flightId: string): Promise<BookingRow[]> {
    if (ids.length === 0) return [];
    const result: [BookingRow[], number] = await manager.query(
      `UPDATE bookings b
          SET outbound_flight_id = CASE WHEN b.outbound_flight_id = $2 THEN NULL ELSE b.outbound_flight_id END,
              return_flight_id = CASE WHEN b.return_flight_id = $2 THEN NULL ELSE b.return_flight_id END,
              updated_at = now()
        WHERE b.id = ANY($1::uuid[]) AND (b.outbound_flight_id = $2 OR b.return_flight_id = $2)
        RETURNING ${BOOKING_SELECT.sql}`,
      [ids, flightId],
    );
    return returnedRows(result);
  }

  /**
   * Live bookings with a segment on each of these flights, counted in the caller's transaction
   * (which has locked the flights: no booking joins or leaves them meanwhile). Every id gets a
   * count, zero included.
   */
  async countLiveOnFlights(manager: EntityManager, flightIds: string[]): Promise<Map<string, number>> {
    if (flightIds.length === 0) return new Map();
    const rows: { id: string; bookings: number }[] = await manager.query(
      `SELECT f.id,
              (SELECT count(*) FROM bookings b
                WHERE b.status IN ('held', 'confirmed') AND (b.outbound_flight_id = f.id OR b.return_flight_id = f.id))::int AS bookings
         FROM unnest($1::uuid[]) AS f(id)`,
      [flightIds],
    );
    return new Map(rows.map((row) => [row.id, row.bookings]));
  }

  // --- restrictions ----------------------------------------------------------------------

  /** Live bookings the restriction still affects. */
  async countAffectedByRestriction(manager: EntityManager, target: RestrictionTarget): Promise<number> {
    const condition = affectedBookingsCondition(target, 'b', 1);
    const rows: { count: number }[] = await manager.query(
      `SELECT count(*)::int AS count FROM bookings b WHERE ${condition.sql}`,
      condition.parameters,
    );
    return rows[0].count;
  }

  /**
   * Locks the next `limit` live bookings the restriction affects within `range`, taken in
   * (check-in, id) order, each with its outcome (`partyOutcomeExpression`, the same the preview
   * counts) under its agency's party policy. Taking them by check-in keeps a chunk's stays on a
   * few nights, so a chunk locks and updates a few nights' counters instead of every night of the
   * window (other agencies' admissions wait for those locks), and the nights checked into soonest
   * are done first. The chunk is found first without locks, then locked in id order (the order
   * every bulk cancellation locks bookings in, so none of them wait on each other in a circle),
   * between the cursors: no booking can enter that span meanwhile, as admission and amendment
   * refuse stays a restriction covers, and a booking changed meanwhile by someone else fails the
   * re-check under `FOR UPDATE` and is not returned. `last` is where the next chunk starts, null
   * when the range is done. Only id, status and outcome are read: `BookingCancellation` returns
   * the rows it changes.
   */
  async lockNextAffectedByRestriction(
    manager: EntityManager,
    target: RestrictionTarget,
    range: IdRange,
    limit: number,
  ): Promise<{ locked: AffectedBooking[]; last: ChunkCursor | null }> {
    const condition = affectedBookingsCondition(target, 'b', 1);
    const next = condition.parameters.length + 1;
    // Both statements: $next..$next+1 the lane's ids, $next+2..$next+3 the chunk's start (exclusive;
    // $1 is the window's first check-in). The lower bound on check_in is what the index scan starts
    // from: written as an OR alone, it would not bound the scan, and each chunk would read the window.
    const span = `${condition.sql}
          AND b.id >= $${next}::uuid AND ($${next + 1}::uuid IS NULL OR b.id < $${next + 1}::uuid)
          AND b.check_in >= COALESCE($${next + 2}::date, $1::date)
          AND ($${next + 2}::date IS NULL OR b.check_in > $${next + 2}::date OR b.id > $${next + 3}::uuid)`;
    const spanParameters = [...condition.parameters, range.from, range.below, range.after?.checkIn ?? null, range.after?.id ?? null];
    const ends: { checkIn: string; id: string; taken: number }[] = await manager.query(
      `SELECT chunk.check_in::text AS "checkIn", chunk.id, count(*) OVER ()::int AS taken
         FROM (SELECT b.check_in, b.id FROM bookings b WHERE ${span} ORDER BY b.check_in, b.id LIMIT $${next + 4}) chunk
        ORDER BY chunk.check_in DESC, chunk.id DESC
        LIMIT 1`,
      [...spanParameters, limit],
    );
    if (ends.length === 0) return { locked: [], last: null };
    const end = ends[0];
    // $3 holds the nationality codes of the condition.
    const locked: AffectedBooking[] = await manager.query(
      `SELECT b.id, b.status, a.party_policy AS "partyPolicy",
              ${partyOutcomeExpression(target.coverage, 'b', 'a.party_policy', 3, next + 4)} AS outcome
         FROM bookings b JOIN agencies a ON a.id = b.agency_id
        WHERE ${span}
          AND b.check_in <= $${next + 5}::date AND (b.check_in < $${next + 5}::date OR b.id <= $${next + 6}::uuid)
        ORDER BY b.id
        FOR UPDATE OF b`,
      [...spanParameters, keptAdultsPath(target.coverage), end.checkIn, end.id],
    );
    return { locked, last: end.taken < limit ? null : { checkIn: end.checkIn, id: end.id } };
  }

  // --- idempotency -------------------------------------------------------------------------

  async findIdempotencyRecord(agencyId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const rows: IdempotencyRecord[] = await this.dataSource.query(
      `SELECT ${IDEMPOTENCY_RECORD_SELECT.sql}
         FROM idempotency_keys WHERE agency_id = $1 AND key = $2 AND created_at > now() - interval '24 hours'`,
      [agencyId, key],
    );
    return rows[0];
  }

  /**
   * Claims idempotency keys inside the admission transaction. A key claimed by a concurrent
   * transaction makes this statement wait for it; once that commits, the key is not returned
   * here and the caller replays the stored response instead. Keys are claimed in sorted order
   * so two batches never wait on each other in a circle.
   */
  async claimIdempotencyKeys(
    manager: EntityManager,
    claims: { agencyId: string; key: string; requestHash: string }[],
  ): Promise<Set<string>> {
    if (claims.length === 0) return new Set();
    const sorted = [...claims].sort((a, b) => (a.agencyId + a.key).localeCompare(b.agencyId + b.key));
    // A record older than 24 h may be reused: the claim takes it over (one statement, no separate delete).
    // Callers never pass the same (agency, key) twice in one call (ON CONFLICT DO UPDATE would refuse it).
    const rows: RowOf<typeof IDEMPOTENCY_KEY_SELECT>[] = await manager.query(
      `INSERT INTO idempotency_keys AS i (agency_id, key, request_hash)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])
       ON CONFLICT (agency_id, key) DO UPDATE
          SET request_hash = EXCLUDED.request_hash, response_status = NULL, response_body = NULL, created_at = now()
        WHERE i.created_at <= now() - interval '24 hours'
       RETURNING ${IDEMPOTENCY_KEY_SELECT.sql}`,
      [sorted.map((claim) => claim.agencyId), sorted.map((claim) => claim.key), sorted.map((claim) => claim.requestHash)],
    );
    return new Set(rows.map((row) => `${row.agencyId}/${row.key}`));
  }

  async saveIdempotentResponses(
    manager: EntityManager,
    responses: { agencyId: string; key: string; status: number; body: unknown }[],
  ): Promise<void> {
    if (responses.length === 0) return;
    await manager.query(
      `UPDATE idempotency_keys i SET response_status = r.status, response_body = r.body
         FROM json_to_recordset($1::json) AS r("agencyId" uuid, key text, status int, body json)
        WHERE i.agency_id = r."agencyId" AND i.key = r.key`,
      [JSON.stringify(responses)],
    );
  }

  /**
   * Deletes up to `limit` idempotency records created before `createdBefore`, skipping rows a
   * concurrent admission holds; returns how many went. A record is replayed for 24 hours only, so
   * these are answers nobody can get back any more, kept just because they contain guests.
   */
  async deleteIdempotencyRecordsCreatedBefore(manager: EntityManager, createdBefore: Date, limit: number): Promise<number> {
    const result: [unknown[], number] = await manager.query(
      `DELETE FROM idempotency_keys i
        USING (SELECT agency_id, key FROM idempotency_keys WHERE created_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED) AS old
        WHERE i.agency_id = old.agency_id AND i.key = old.key`,
      [createdBefore, limit],
    );
    return result[1];
  }
}
