import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { returnedRows } from '#libs/database';
import { cursorTimestampSql } from '#libs/shared';
import { RESTRICTION_SELECT, RestrictionRow } from './restriction-row';
import { Coverage, RestrictionStatus, RestrictionTerms, RestrictionWindow } from './restriction-rules';
import {
  affectedPartiesCondition,
  coveredGuestsOfPartiesExpression,
  coveredGuestsPath,
  keptAdultsOfPartyPath,
  partyCompositionOutcomeExpression,
  RestrictionTarget,
} from './restriction-sql';

const COLUMNS = RESTRICTION_SELECT.sql;

/** The status of a restriction, as SQL (the same rule as `statusOf`). */
const STATUS_SQL = `CASE WHEN r.lifted_at IS NOT NULL THEN 'lifted'
  WHEN now() < r.effective_from THEN 'scheduled'
  WHEN r.effective_until IS NOT NULL AND now() >= r.effective_until THEN 'expired'
  ELSE 'active' END`;

/**
 * Postgres advisory lock that orders restriction creation against booking admission:
 * admission holds it shared while it checks and writes bookings, creation holds it
 * exclusively while it inserts. A booking therefore either commits before the restriction
 * exists (and its enforcement, which reads after, finds it) or sees the restriction.
 */
export const RESTRICTIONS_ADVISORY_LOCK = 7_205_110_001;

/** Taken by `foldPartyCounts`, so that folds take turns. */
const PARTY_COUNTS_FOLD_ADVISORY_LOCK = 7_205_110_002;

export interface NewRestriction {
  coverage: Coverage;
  /** RESORT_HOME_COUNTRY now: kept with the restriction so that its meaning never changes later. */
  homeCountry: string;
  effectiveFrom: Date;
  effectiveUntil: Date | null;
  window: RestrictionWindow;
  reason: string;
  appliedByKeyId: string | null;
}

export interface RestrictionListFilter {
  status?: RestrictionStatus;
  /** Only restrictions covering this nationality. */
  nationality?: string;
}

/** What enforcement would do with the bookings, under their agencies' party policies. */
export interface PartyImpact {
  bookingsToCancel: number;
  bookingsToReduce: number;
  /** The covered guests taken out of the bookings to reduce. */
  guestsToRemove: number;
}

export interface RestrictionImpact extends PartyImpact {
  affectedBookings: number;
  affectedGuests: number;
  coveredGuests: number;
  byAgency: ({ agencyId: string; affectedBookings: number; affectedGuests: number } & PartyImpact)[];
}

/** The terms of a stored restriction, in the shape the pure rules take. */
export function termsOf(row: RestrictionRow): RestrictionTerms {
  return {
    id: row.id,
    coverage: row.allForeign
      ? { allForeign: true, homeCountry: row.homeCountry, except: row.exceptNationalities }
      : { allForeign: false, nationalities: row.nationalities ?? [] },
    window: { from: row.windowFrom, to: row.windowTo },
    effectiveFrom: new Date(row.effectiveFrom),
    effectiveUntil: row.effectiveUntil ? new Date(row.effectiveUntil) : null,
    liftedAt: row.liftedAt ? new Date(row.liftedAt) : null,
  };
}

@Injectable()
export class RestrictionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Takes the restrictions lock exclusively, until the transaction ends (see RESTRICTIONS_ADVISORY_LOCK). */
  async lockExclusively(manager: EntityManager): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock($1)`, [RESTRICTIONS_ADVISORY_LOCK]);
  }

  /** Takes the restrictions lock shared, until the transaction ends: admissions do not wait for each other. */
  async lockShared(manager: EntityManager): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock_shared($1)`, [RESTRICTIONS_ADVISORY_LOCK]);
  }

  async insert(manager: EntityManager, restriction: NewRestriction): Promise<RestrictionRow> {
    const { coverage } = restriction;
    const rows: RestrictionRow[] = await manager.query(
      `INSERT INTO restrictions AS r (nationalities, all_foreign, except_nationalities, home_country, effective_from, effective_until,
                                      window_from, window_to, reason, applied_by_key_id)
       VALUES ($1::text[], $2, $3::text[], $4, $5, $6, $7, $8, $9, $10)
       RETURNING ${COLUMNS}`,
      [
        coverage.allForeign ? null : coverage.nationalities,
        coverage.allForeign,
        coverage.allForeign ? coverage.except : [],
        restriction.homeCountry,
        restriction.effectiveFrom,
        restriction.effectiveUntil,
        restriction.window.from,
        restriction.window.to,
        restriction.reason,
        restriction.appliedByKeyId,
      ],
    );
    return rows[0];
  }

  /** Reads one restriction, inside the caller's transaction when given one. */
  async findById(id: string, manager?: EntityManager): Promise<RestrictionRow | undefined> {
    const rows: RestrictionRow[] = await (manager ?? this.dataSource).query(`SELECT ${COLUMNS} FROM restrictions r WHERE r.id = $1`, [id]);
    return rows[0];
  }

  async lockById(manager: EntityManager, id: string): Promise<RestrictionRow | undefined> {
    const rows: RestrictionRow[] = await manager.query(`SELECT ${COLUMNS} FROM restrictions r WHERE r.id = $1 FOR UPDATE`, [id]);
    return rows[0];
  }

  /** Newest first, keyset-paginated on (created_at, id); `cursorCreatedAt` is created_at to the microsecond, for the next cursor. */
  async list(
    filter: RestrictionListFilter,
    limit: number,
    before?: { createdAt: string; id: string },
  ): Promise<(RestrictionRow & { cursorCreatedAt: string })[]> {
    return this.dataSource.query(
      `SELECT ${COLUMNS}, ${cursorTimestampSql('r.created_at')} AS "cursorCreatedAt" FROM restrictions r
        WHERE ($1::text IS NULL OR ${STATUS_SQL} = $1)
          AND ($2::text IS NULL OR (CASE WHEN r.all_foreign THEN $2 <> r.home_country AND NOT $2 = ANY(r.except_nationalities)
                                        ELSE $2 = ANY(r.nationalities) END))
          AND ($3::timestamptz IS NULL OR (r.created_at, r.id) < ($3::timestamptz, $4::uuid))
        ORDER BY r.created_at DESC, r.id DESC
        LIMIT $5`,
      [filter.status ?? null, filter.nationality ?? null, before?.createdAt ?? null, before?.id ?? null, limit],
    );
  }

  async markLifted(manager: EntityManager, id: string, keyId: string | null): Promise<RestrictionRow> {
    const result: [RestrictionRow[], number] = await manager.query(
      `UPDATE restrictions r SET lifted_at = now(), lifted_by_key_id = $2,
              -- An enforcement that was under way stops here: it is over, whatever it had reached. One
              -- that had not started never will (nothing is cancelled after a lift): it is over too.
              enforcement_state = 'completed',
              enforcement_started_at = coalesce(r.enforcement_started_at, now()),
              enforcement_completed_at = CASE WHEN r.enforcement_state = 'completed' THEN r.enforcement_completed_at ELSE now() END,
              updated_at = now()
        WHERE r.id = $1 RETURNING ${COLUMNS}`,
      [id, keyId],
    );
    return returnedRows(result)[0];
  }

  /**
   * Restrictions that refuse bookings now (not lifted, not expired) and whose window meets
   * the check-in dates `[checkInFrom, checkInTo]` (both included), oldest first.
   */
  async refusingBookings(manager: EntityManager, checkInFrom: string, checkInTo: string): Promise<RestrictionRow[]> {
    return manager.query(
      `SELECT ${COLUMNS} FROM restrictions r
        WHERE r.lifted_at IS NULL AND (r.effective_until IS NULL OR r.effective_until > now())
          AND r.window_from <= $2::date AND (r.window_to IS NULL OR r.window_to > $1::date)
        ORDER BY r.created_at, r.id`,
      [checkInFrom, checkInTo],
    );
  }

  /**
   * What the restriction would do now, in total and per agency: one set-based query over
   * `live_party_counts` (the live bookings counted by check-in, agency and party composition,
   * kept by triggers on bookings), so its cost follows the number of compositions in the window,
   * not the number of bookings. Each composition's outcome is `partyOutcomeExpression`'s rule
   * under its agency's party policy (`partyCompositionOutcomeExpression`), so the preview counts
   * what enforcement, which locks the bookings themselves, then does.
   */
  async impact(target: RestrictionTarget): Promise<RestrictionImpact> {
    const condition = affectedPartiesCondition(target, 's', 1);
    // $3 holds the nationality codes of the condition; $4 the JSON path of the covered guests, $5 that of the adults kept.
    const rows: ({ agencyId: string; affectedBookings: number; affectedGuests: number; coveredGuests: number } & PartyImpact)[] =
      await this.dataSource.query(
        `WITH parties AS (
         SELECT s.agency_id, s.nationalities, s.party, sum(s.bookings)::int AS bookings, sum(s.guests)::int AS guests
           FROM live_party_counts s
          WHERE ${condition.sql}
          GROUP BY s.agency_id, s.nationalities, s.party
         HAVING sum(s.bookings) > 0),
       affected AS (
         SELECT p.agency_id AS "agencyId", p.bookings, p.guests,
                ${coveredGuestsOfPartiesExpression(target.coverage, 'p', 'p.bookings', 'p.guests', 3, 4)} AS covered,
                ${partyCompositionOutcomeExpression(target.coverage, 'p', 'a.party_policy', 3, 5)} AS outcome
           FROM parties p JOIN agencies a ON a.id = p.agency_id)
       SELECT affected."agencyId", sum(affected.bookings)::int AS "affectedBookings", sum(affected.guests)::int AS "affectedGuests",
              sum(affected.covered)::int AS "coveredGuests",
              COALESCE(sum(affected.bookings) FILTER (WHERE affected.outcome = 'cancel'), 0)::int AS "bookingsToCancel",
              COALESCE(sum(affected.bookings) FILTER (WHERE affected.outcome = 'reduce'), 0)::int AS "bookingsToReduce",
              COALESCE(sum(affected.covered) FILTER (WHERE affected.outcome = 'reduce'), 0)::int AS "guestsToRemove"
         FROM affected
        GROUP BY affected."agencyId"
        ORDER BY "affectedBookings" DESC, affected."agencyId"`,
        [...condition.parameters, coveredGuestsPath(target.coverage), keptAdultsOfPartyPath(target.coverage)],
      );
    const total = (field: 'affectedBookings' | 'affectedGuests' | 'coveredGuests' | keyof PartyImpact): number =>
      rows.reduce((sum, row) => sum + row[field], 0);
    return {
      affectedBookings: total('affectedBookings'),
      affectedGuests: total('affectedGuests'),
      coveredGuests: total('coveredGuests'),
      bookingsToCancel: total('bookingsToCancel'),
      bookingsToReduce: total('bookingsToReduce'),
      guestsToRemove: total('guestsToRemove'),
      byAgency: rows.map((row) => ({
        agencyId: row.agencyId,
        affectedBookings: row.affectedBookings,
        affectedGuests: row.affectedGuests,
        bookingsToCancel: row.bookingsToCancel,
        bookingsToReduce: row.bookingsToReduce,
        guestsToRemove: row.guestsToRemove,
      })),
    };
  }

  /**
   * Folds the changes the triggers on bookings appended to `live_party_counts` into one total
   * per key, in the caller's transaction (see the migration `LivePartyCounts`): the sums, and so
   * every preview, stay the same; only the rows a preview reads get fewer. Changes committed
   * after this statement's snapshot stay for the next fold. Folds take turns (an advisory lock),
   * so two never insert the same new total. Returns the changes folded.
   */
  async foldPartyCounts(manager: EntityManager): Promise<number> {
    await manager.query(`SELECT pg_advisory_xact_lock($1)`, [PARTY_COUNTS_FOLD_ADVISORY_LOCK]);
    const result: { folded: number }[] = await manager.query(
      `WITH changes AS (
         DELETE FROM live_party_counts c WHERE NOT c.folded
         RETURNING c.check_in, c.agency_id, c.nationalities, c.party, c.bookings, c.guests),
       net AS (
         SELECT check_in, agency_id, nationalities, party, sum(bookings)::int AS bookings, sum(guests)::int AS guests
           FROM changes GROUP BY 1, 2, 3, 4 HAVING sum(bookings) <> 0 OR sum(guests) <> 0),
       updated AS (
         UPDATE live_party_counts t SET bookings = t.bookings + net.bookings, guests = t.guests + net.guests
           FROM net
          WHERE t.folded AND t.check_in = net.check_in AND t.agency_id = net.agency_id AND t.nationalities = net.nationalities AND t.party = net.party
         RETURNING t.check_in, t.agency_id, t.nationalities, t.party),
       inserted AS (
         INSERT INTO live_party_counts (check_in, agency_id, nationalities, party, bookings, guests, folded)
         SELECT net.check_in, net.agency_id, net.nationalities, net.party, net.bookings, net.guests, true
           FROM net
          WHERE NOT EXISTS (SELECT 1 FROM updated u
                             WHERE u.check_in = net.check_in AND u.agency_id = net.agency_id AND u.nationalities = net.nationalities AND u.party = net.party)
         RETURNING 1)
       SELECT (SELECT count(*) FROM changes)::int AS folded`,
    );
    // Keys whose bookings are all gone: a total of zero says nothing.
    await manager.query(`DELETE FROM live_party_counts WHERE folded AND bookings = 0 AND guests = 0`);
    return result[0].folded;
  }

  // --- enforcement progress ------------------------------------------------------------------

  /**
   * Marks enforcement running. A restart (state already running) keeps the start time and
   * never lowers the affected count: `stillAffected` is what is left after earlier chunks.
   */
  async markEnforcementRunning(manager: EntityManager, id: string, stillAffected: number): Promise<RestrictionRow> {
    // clock_timestamp(), not now(): the transaction began before its caller saw effectiveFrom
    // pass (the trigger fires early and waits), and a ban never starts before it takes effect.
    const result: [RestrictionRow[], number] = await manager.query(
      `UPDATE restrictions r SET enforcement_state = 'running',
              enforcement_started_at = COALESCE(r.enforcement_started_at, clock_timestamp()),
              affected_bookings = GREATEST(r.affected_bookings, r.cancelled_bookings + r.reduced_bookings + $2),
              updated_at = now()
        WHERE r.id = $1 RETURNING ${COLUMNS}`,
      [id, stillAffected],
    );
    return returnedRows(result)[0];
  }

  /**
   * Adds a chunk's cancellations and reductions to the progress, in the chunk's transaction,
   * unless the restriction was lifted meanwhile: returns false then, and the caller rolls the
   * chunk back. This update and a lift both write the row, so they take turns: a lift either
   * waits for the chunk to commit, or the chunk sees the lift here. Nothing is changed after a lift.
   */
  async addEnforcementProgressUnlessLifted(
    manager: EntityManager,
    id: string,
    progress: { cancelled: number; reduced: number },
  ): Promise<boolean> {
    const result: [{ id: string }[], number] = await manager.query(
      `UPDATE restrictions r SET cancelled_bookings = r.cancelled_bookings + $2, reduced_bookings = r.reduced_bookings + $3,
              affected_bookings = GREATEST(r.affected_bookings, r.cancelled_bookings + r.reduced_bookings + $2 + $3), updated_at = now()
        WHERE r.id = $1 AND r.lifted_at IS NULL
        RETURNING r.id`,
      [id, progress.cancelled, progress.reduced],
    );
    return returnedRows(result).length > 0;
  }

  /** Ends a running enforcement (unless it was lifted meanwhile, which ended it already). */
  async markEnforcementCompleted(manager: EntityManager, id: string): Promise<RestrictionRow | undefined> {
    const result: [RestrictionRow[], number] = await manager.query(
      `UPDATE restrictions r SET enforcement_state = 'completed', enforcement_completed_at = now(), updated_at = now()
        WHERE r.id = $1 AND r.enforcement_state = 'running' AND r.lifted_at IS NULL
        RETURNING ${COLUMNS}`,
      [id],
    );
    return returnedRows(result)[0];
  }

  /** Whether any restriction's enforcement is running (in whichever worker). */
  async anyEnforcementRunning(): Promise<boolean> {
    const rows: { running: boolean }[] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM restrictions r WHERE r.enforcement_state = 'running' AND r.lifted_at IS NULL) AS running`,
    );
    return rows[0].running;
  }

  /** Restrictions in effect (not lifted, effectiveFrom passed) whose enforcement has not completed. */
  async dueForEnforcement(limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT r.id FROM restrictions r
        WHERE r.lifted_at IS NULL AND r.effective_from <= now() AND r.enforcement_state <> 'completed'
        ORDER BY r.effective_from LIMIT $1`,
      [limit],
    );
    return rows.map((row) => row.id);
  }
}
