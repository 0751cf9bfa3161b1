import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditChanges, AuditOrigin, AuditService, NewAuditEvent, systemOrigin } from '#libs/audit';
import { CapacityService, nightDeltasFor, sumNightDeltas } from '#libs/capacity';
import { FlightsService, type SeatDelta } from '#libs/flights';
import { Metrics } from '#libs/observability';
import { NewNotification, NotificationsService } from '#libs/notifications';
import type { RestrictionTarget } from '#libs/restrictions';
import { BookingRow, CancellationReason, CancelledBooking } from './booking-row';
import { AffectedBooking, BookingsRepository, ChunkCursor, IdRange, ReducedBooking } from './bookings.repository';

/** What `cancelLocked` needs of a booking its caller locked. */
export type LockedBooking = Pick<BookingRow, 'id' | 'status'>;

export interface Cancellation {
  reason: CancellationReason;
  restrictionId?: string | null;
  /** Who cancels and why: the audit trail's actor, cause and request id. */
  origin: AuditOrigin;
}

/** How a restriction's enforcement takes covered guests out of bookings (see `enforceLocked`). */
export interface GuestRemoval {
  restrictionId: string;
  /** JSON paths over `guests`: the guests a reduced booking keeps, and those it loses. */
  keptGuestsPath: string;
  removedGuestsPath: string;
}

/** A locked booking to reduce; with a deadline, its agency must then keep or cancel it (policy `ask`). */
export interface LockedReduction extends LockedBooking {
  deadline: Date | null;
}

/**
 * Cancels bookings inside the caller's transaction: status and reason, the capacity and flight
 * seats they held released (nights in date order, then flights in id order), and the agency's
 * notification written in the same transaction. Used by agent and operations cancellation, hold
 * expiry and ban enforcement alike.
 *
 * Callers must have locked the bookings (`FOR UPDATE`) first; bookings that are already
 * cancelled are skipped, so running the same cancellation twice releases and notifies once.
 * They open their transaction with `transaction` (not the DataSource's), so that
 * `kalma_bookings_cancelled_total` counts a cancellation only once it has committed: a chunk
 * rolled back (a ban lifted mid-chunk, a lost connection) counts nothing.
 */
@Injectable()
export class BookingCancellation {
  /** Cancellations made in a transaction still open, by its manager: counted when it commits. */
  private readonly uncommitted = new WeakMap<EntityManager, Map<CancellationReason, number>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bookings: BookingsRepository,
    private readonly capacity: CapacityService,
    private readonly flights: FlightsService,
    private readonly notifications: NotificationsService,
    private readonly metrics: Metrics,
    private readonly audit: AuditService,
  ) {}

  /**
   * Runs `work` in a transaction in which `cancelLocked` may be called; the cancellations it
   * made are counted in the metrics after the commit, and not at all if it rolls back.
   */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const cancelled = new Map<CancellationReason, number>();
    const result = await this.dataSource.transaction(async (manager) => {
      this.uncommitted.set(manager, cancelled);
      return work(manager);
    });
    for (const [reason, count] of cancelled) this.metrics.bookingsCancelled.inc({ reason }, count);
    return result;
  }

  /** Live bookings a restriction still affects, in the caller's transaction (enforcement counts them when it starts). */
  async countAffectedByRestriction(manager: EntityManager, target: RestrictionTarget): Promise<number> {
    return this.bookings.countAffectedByRestriction(manager, target);
  }

  /**
   * Locks, in the caller's transaction, the next `limit` live bookings a restriction affects in
   * `range` ((check-in, id) order), each with its outcome under its agency's party policy: a chunk
   * of enforcement, handed back to `enforceLocked`, and where the next chunk starts (null: the
   * range is done; see `BookingsRepository.lockNextAffectedByRestriction`).
   */
  async lockNextAffectedByRestriction(
    manager: EntityManager,
    target: RestrictionTarget,
    range: IdRange,
    limit: number,
  ): Promise<{ locked: AffectedBooking[]; last: ChunkCursor | null }> {
    return this.bookings.lockNextAffectedByRestriction(manager, target, range, limit);
  }

  /** Only the id and status of the locked bookings are read: bulk callers need not load whole rows. */
  async cancelLocked(manager: EntityManager, locked: LockedBooking[], cancellation: Cancellation): Promise<CancelledBooking[]> {
    const cancelled = await this.markCancelled(manager, locked, cancellation);
    await this.release(manager, cancelled);
    return cancelled;
  }

  /**
   * A restriction's chunk: cancels `cancel` and takes the covered guests out of `reduce`, each
   * with its audit event and notification, and then releases the nights and seats of both in one
   * go, so that the chunk takes its locks once, in the one order every transaction uses: the
   * bookings (locked by the caller; the agencies' hold counters follow by trigger), the inboxes,
   * the nights by date, the flights by id. A booking already cancelled, or with no covered guest
   * left (reduced by an earlier run), is skipped: what a chunk does, it does once.
   *
   * The cancellations, which are most of a ban, are made in PostgreSQL from the ids alone (see
   * `BookingsRepository.cancelForRestriction`); the reductions, a few per ban and each with its
   * own guests to name, go through the worker.
   */
  async enforceLocked(
    manager: EntityManager,
    locked: { cancel: LockedBooking[]; reduce: LockedReduction[] },
    removal: GuestRemoval,
  ): Promise<{ cancelled: number; reduced: ReducedBooking[] }> {
    const counted = this.countsOf(manager);
    const origin = systemOrigin({ type: 'restriction', id: removal.restrictionId });
    const cancellation: Cancellation = { reason: 'restriction', restrictionId: removal.restrictionId, origin };
    const cancelled = await this.bookings.cancelForRestriction(
      manager,
      locked.cancel.filter((booking) => booking.status !== 'cancelled'),
      removal.restrictionId,
      { held: cancellationChanges('held', cancellation), confirmed: cancellationChanges('confirmed', cancellation) },
    );
    counted.set('restriction', (counted.get('restriction') ?? 0) + cancelled.cancelled);
    const reduced = await this.bookings.removeGuests(
      manager,
      locked.reduce.filter((booking) => booking.status !== 'cancelled').map((booking) => ({ id: booking.id, deadline: booking.deadline })),
      { kept: removal.keptGuestsPath, removed: removal.removedGuestsPath },
      removal.restrictionId,
    );
    await this.audit.record(
      manager,
      reduced.map((booking) => reductionEvent(booking, removal.restrictionId, origin)),
    );
    // Every inbox of the chunk in one go, in the one order (two lockings could take them
    // crosswise with another chunk's), before either write of notifications.
    await this.notifications.lockInboxes(manager, [...new Set([...cancelled.agencyIds, ...reduced.map((booking) => booking.agencyId)])]);
    if (cancelled.cancelled > 0) {
      await this.notifications.insertCancellations(manager, {
        agencyIds: cancelled.agencyIds,
        columns: cancelled.columns,
        reason: cancellation.reason,
        restrictionId: removal.restrictionId,
      });
    }
    await this.notifications.insertMany(
      manager,
      reduced.map((booking) => reductionNotification(booking, removal.restrictionId)),
    );
    const reducedStays = reduced.map((booking) => ({
      ...booking,
      guestCount: booking.removedGuests.length,
      held: booking.status === 'held',
    }));
    await this.capacity.lockAndAddToNights(manager, sumNightDeltas([...cancelled.nights, ...nightDeltasFor(reducedStays.map(stayOf), -1)]));
    await this.flights.lockAndAddToSeats(manager, [...cancelled.seats, ...reducedStays.flatMap(seatsGivenBack)]);
    return { cancelled: cancelled.cancelled, reduced };
  }

  /** Marks the live ones of `locked` cancelled and writes their audit events and notifications; releases nothing yet. */
  private async markCancelled(
    manager: EntityManager,
    locked: LockedBooking[],
    cancellation: Cancellation,
  ): Promise<(CancelledBooking & { held: boolean; previousStatus: LockedBooking['status'] })[]> {
    const counted = this.countsOf(manager);
    const live = locked.filter((booking) => booking.status !== 'cancelled');
    if (live.length === 0) return [];
    const marked = await this.bookings.markCancelled(
      manager,
      live.map((booking) => booking.id),
      { reason: cancellation.reason, restrictionId: cancellation.restrictionId ?? null },
    );
    const statusOf = new Map(live.map((booking) => [booking.id, booking.status]));
    const withStatus = marked.map((booking) => {
      const previousStatus = statusOf.get(booking.id) ?? 'confirmed';
      return { ...booking, held: previousStatus === 'held', previousStatus };
    });
    // The audit events and notifications first, then (in the caller) the night and seat
    // counters: those rows are what every admission waits for, so they are locked as late, and
    // held as briefly, as possible.
    await this.audit.record(
      manager,
      withStatus.map((booking) => cancellationEvent(booking, cancellation)),
    );
    await this.notifications.insertMany(
      manager,
      marked.flatMap((booking) => this.notificationFor(booking, cancellation)),
    );
    counted.set(cancellation.reason, (counted.get(cancellation.reason) ?? 0) + marked.length);
    return withStatus;
  }

  /**
   * Gives back `guestCount` guests on every night of each stay (nights in date order) and as many
   * seats on each of its flights (flights in id order). Only bookings this transaction changed are
   * passed, so a night or a seat is given back exactly once. A booking keeps its flight ids once
   * cancelled (history); a segment a disruption already took off has its id cleared and releases nothing here.
   */
  private async release(manager: EntityManager, released: (CancelledBooking & { held: boolean })[]): Promise<void> {
    await this.capacity.lockAndAddToNights(manager, nightDeltasFor(released.map(stayOf), -1));
    await this.flights.lockAndAddToSeats(manager, released.flatMap(seatsGivenBack));
  }

  /** The cancellations of the transaction `manager` belongs to, counted once it commits. */
  private countsOf(manager: EntityManager): Map<CancellationReason, number> {
    const counted = this.uncommitted.get(manager);
    // A programming error, not a request's: every cancelling transaction must be opened by `transaction` above.
    if (!counted) throw new Error('cancellations must run in a transaction opened by BookingCancellation.transaction');
    return counted;
  }

  /** The agency is told about cancellations it did not ask for. (A ban's cancellations are told by `BookingsRepository.cancelForRestriction`, with the same data.) */
  private notificationFor(booking: CancelledBooking, cancellation: Cancellation): NewNotification[] {
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

/** A released booking's stay: `guestCount` guests on each of its nights (held ones counted as held too). */
function stayOf(booking: CancelledBooking & { held: boolean }) {
  return { checkIn: booking.checkIn, checkOut: booking.checkOut, guests: booking.guestCount, held: booking.held };
}

/** The seats a released booking gives back on each flight it still holds. */
function seatsGivenBack(booking: CancelledBooking): SeatDelta[] {
  return [booking.outboundFlightId, booking.returnFlightId].flatMap((flightId) =>
    flightId ? [{ flightId, seats: -booking.guestCount }] : [],
  );
}

/**
 * `booking.guests_removed`, or under the `ask` policy `booking.action_required` (the same data
 * and the decision asked for). Only names and nationalities of the removed guests go out.
 */
function reductionNotification(booking: ReducedBooking, restrictionId: string): NewNotification {
  const asked = booking.actionRequiredDeadline !== null && booking.actionRequiredRestrictionId === restrictionId;
  const data = {
    bookingId: booking.id,
    reference: booking.reference,
    restrictionId,
    removedGuests: booking.removedGuests.map((guest) => ({ fullName: guest.fullName, nationality: guest.nationality })),
    guestCount: booking.guestCount,
    checkIn: booking.checkIn,
    checkOut: booking.checkOut,
    ...(asked
      ? {
          actionRequired: {
            reason: 'guests_removed',
            restrictionId,
            deadline: new Date(booking.actionRequiredDeadline as Date).toISOString(),
          },
        }
      : {}),
  };
  const type = asked ? 'booking.action_required' : 'booking.guests_removed';
  return { agencyId: booking.agencyId, type, data, dedupeKey: `booking:${booking.id}:${type}:${restrictionId}` };
}

/** `booking.cancelled`: the status it had, the reason, and the restriction where one caused it. */
function cancellationEvent(
  booking: CancelledBooking & { previousStatus: LockedBooking['status'] },
  cancellation: Cancellation,
): NewAuditEvent {
  return {
    action: 'booking.cancelled',
    entityType: 'booking',
    entityId: booking.id,
    origin: cancellation.origin,
    changes: cancellationChanges(booking.previousStatus, cancellation),
  };
}

function cancellationChanges(previousStatus: LockedBooking['status'], cancellation: Cancellation): AuditChanges {
  return {
    status: { from: previousStatus, to: 'cancelled' },
    cancellationReason: { from: null, to: cancellation.reason },
    ...(cancellation.restrictionId ? { cancellationRestrictionId: { from: null, to: cancellation.restrictionId } } : {}),
  };
}

/** `booking.guests_removed`: the party's size and nationalities before and after (never who). */
function reductionEvent(booking: ReducedBooking, restrictionId: string, origin: AuditOrigin): NewAuditEvent {
  const before = [...new Set([...booking.nationalities, ...booking.removedGuests.map((guest) => guest.nationality)])].sort();
  const asked = booking.actionRequiredDeadline !== null && booking.actionRequiredRestrictionId === restrictionId;
  return {
    action: 'booking.guests_removed',
    entityType: 'booking',
    entityId: booking.id,
    origin,
    changes: {
      guestCount: { from: booking.guestCount + booking.removedGuests.length, to: booking.guestCount },
      ...(before.join() !== booking.nationalities.join() ? { nationalities: { from: before, to: booking.nationalities } } : {}),
      ...(asked
        ? {
            actionRequired: {
              from: null,
              to: { reason: 'guests_removed', restrictionId, deadline: new Date(booking.actionRequiredDeadline as Date).toISOString() },
            },
          }
        : {}),
    },
  };
}
