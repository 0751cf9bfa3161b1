import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Principal } from '#libs/access';
import { AuditOrigin, AuditService } from '#libs/audit';
import { AppConfig } from '#libs/config';
import { CapacityExhausted, CapacityService, NightDelta, nightDeltasFor, ShortNight } from '#libs/capacity';
import { FlightSegment, FlightsService, SeatsExhausted, segmentContextOf, segmentRefusal, ShortFlight, sumSeatDeltas } from '#libs/flights';
import { Metrics } from '#libs/observability';
import { NotificationsService } from '#libs/notifications';
import { RestrictionGate } from '#libs/restrictions';
import {
  Clock,
  DomainError,
  IdempotencyKeyReused,
  InvalidState,
  localDateOf,
  nightsOfStay,
  NotFound,
  ValidationFailed,
} from '#libs/shared';
import { AmendableFields, BookingChanges, bookingChanges } from './booking-changes';
import { hashRequestBody } from './booking-request-hash';
import { stayRuleProblems, storedGuestsOf } from './booking-rules';
import { BookingRow } from './booking-row';
import { HoldLimitReached } from './bookings.errors';
import { BookingsRepository } from './bookings.repository';
import { AmendBookingDto } from './dto/amend-booking.dto';
import { IdempotentAnswers, StoredAnswer } from './idempotent-answers';
import { checkVersion, VersionPrecondition } from './version-precondition';

/**
 * What an amendment came to: the amended booking; a refusal, returned (not thrown) when the
 * request has an Idempotency-Key, as that refusal is the key's stored first answer; or, for a
 * reused key, that first answer as it was sent. Without a key a refusal is thrown.
 */
export type AmendmentOutcome =
  { kind: 'amended'; booking: BookingRow } | { kind: 'refused'; error: DomainError } | { kind: 'replayed'; answer: StoredAnswer };

/** An amendment this request decided (not a replay). */
type DecidedAmendment = Exclude<AmendmentOutcome, { kind: 'replayed' }>;

/** What `amendLocked` did, for its caller's transaction (the audit trail records `changes`). */
export interface Amendment {
  before: BookingRow;
  booking: BookingRow;
  changes: BookingChanges;
}

const RETRYABLE_CODES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 3;

/**
 * `PATCH /v1/bookings/{id}`: one transaction that changes a live booking's stay, party and
 * flights, re-checked as if its own old reservation were already released, or changes nothing.
 *
 * Locks, in the one order of Kalma: the restrictions lock shared (as admission takes it, before
 * any row: a ban created meanwhile either commits first and is seen here, or waits for this
 * amendment and its enforcement then finds the amended booking), the booking's row (where
 * If-Match, status and the decision deadline are decided), the agency's hold counter (the
 * booking's UPDATE fires its trigger), the agency's inbox (an operations amendment's
 * notification), the nights of old ∪ new stay by date, the flights of old ∪ new by id. The old
 * reservation is given back and the new one taken as one delta per night and per flight, so a
 * shrink or a one-night shift fits on a full night, and the CHECK constraints re-verify the result.
 */
@Injectable()
export class BookingAmendments {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bookings: BookingsRepository,
    private readonly capacity: CapacityService,
    private readonly flights: FlightsService,
    private readonly notifications: NotificationsService,
    private readonly restrictions: RestrictionGate,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly audit: AuditService,
    private readonly answers: IdempotentAnswers,
  ) {}

  async amend(
    principal: Principal,
    id: string,
    body: AmendBookingDto,
    options: { precondition?: VersionPrecondition; idempotencyKey?: string; origin: AuditOrigin },
  ): Promise<AmendmentOutcome> {
    // Bookings never change agency: the unlocked read names the agency whose key space the
    // Idempotency-Key lives in, and the nights to make sure exist (re-checked under the locks).
    // Another agency's booking is not found, whatever the body.
    const current = await this.bookings.findById(id, visibleAgency(principal));
    if (!current) throw new NotFound('Booking', id);
    if (!AMENDABLE.some((field) => body[field] !== undefined)) {
      throw ValidationFailed.field('body', `say what to change: one or more of ${AMENDABLE.join(', ')}`);
    }
    await this.ensureNightRows(mergedStay(current, body));
    const idempotency = options.idempotencyKey
      ? { agencyId: current.agencyId, key: amendmentKeyOf(id, options.idempotencyKey), requestHash: hashRequestBody(body) }
      : null;

    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await this.dataSource.transaction(async (manager): Promise<DecidedAmendment | undefined> => {
          if (!idempotency) {
            const amendment = await this.amendLocked(manager, principal, id, body, options.origin, options.precondition);
            return { kind: 'amended', booking: amendment.booking };
          }
          // The key first, before any other lock: a concurrent duplicate waits here for the first
          // to commit, then replays its answer. A refusal is the first answer too: the amendment is
          // rolled back to the savepoint and the problem document stored under the key.
          const claimed = await this.bookings.claimIdempotencyKeys(manager, [idempotency]);
          if (claimed.size === 0) return undefined;
          await manager.query('SAVEPOINT amendment');
          let result: DecidedAmendment;
          try {
            const amendment = await this.amendLocked(manager, principal, id, body, options.origin, options.precondition);
            result = { kind: 'amended', booking: amendment.booking };
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            await manager.query('ROLLBACK TO SAVEPOINT amendment');
            result = { kind: 'refused', error };
          }
          const answer = result.kind === 'amended' ? this.answers.amended(result.booking) : this.answers.amendmentRefused(id, result.error);
          await this.bookings.saveIdempotentResponses(manager, [{ agencyId: idempotency.agencyId, key: idempotency.key, ...answer }]);
          return result;
        });
        if (outcome) {
          this.metrics.bookingAmendments.inc({ outcome: outcome.kind === 'amended' ? 'amended' : outcome.error.code });
          return outcome;
        }
        return await this.replay(idempotency as NonNullable<typeof idempotency>);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code && RETRYABLE_CODES.has(code) && attempt < MAX_ATTEMPTS) continue;
        if (error instanceof DomainError) this.metrics.bookingAmendments.inc({ outcome: error.code });
        throw error;
      }
    }
  }

  /**
   * The amendment inside the caller's transaction, which must not have locked any booking, night
   * or flight yet. Throws a DomainError (nothing written that the caller keeps) when refused.
   */
  async amendLocked(
    manager: EntityManager,
    principal: Principal,
    id: string,
    body: AmendBookingDto,
    origin: AuditOrigin,
    precondition?: VersionPrecondition,
  ): Promise<Amendment> {
    await this.restrictions.enter(manager);
    const booking = await this.bookings.lockById(manager, id, visibleAgency(principal));
    if (!booking) throw new NotFound('Booking', id);
    checkVersion(booking, precondition);
    this.refuseIfNotAmendable(booking);

    const now = this.clock.now();
    const amended: AmendableFields = {
      ...mergedStay(booking, body),
      guests: body.guests ? storedGuestsOf(body.guests) : booking.guests,
      outboundFlightId: body.outboundFlightId !== undefined ? body.outboundFlightId : booking.outboundFlightId,
      returnFlightId: body.returnFlightId !== undefined ? body.returnFlightId : booking.returnFlightId,
    };
    const changes = bookingChanges(booking, amended);
    if (Object.keys(changes).length === 0)
      throw ValidationFailed.field('body', 'changes nothing: every field given is the booking as it is');
    const problems = stayRuleProblems(amended, this.config, localDateOf(now, this.config.RESORT_TIMEZONE));
    if (problems.length > 0) throw new ValidationFailed(problems);

    // Restrictions scheduled or active for the new check-in, against the whole new party.
    const restrictions = await this.restrictions.load(manager, [amended.checkIn]);
    const restricted = this.restrictions.refusalFor(restrictions, amended);
    if (restricted) throw restricted;
    // Flights are never deleted: an id that names none is refused before the row would break its foreign key.
    const segments = segmentChanges(booking, amended);
    const context = segmentContextOf(amended, this.config, now);
    const named = segments.flatMap((segment) => (segment.next ? [segment.next] : []));
    const existing = await this.flights.existingIds(manager, named);
    const unknown = segments.find((segment) => segment.next && !existing.has(segment.next));
    if (unknown) throw segmentRefusal(unknown.segment, unknown.next as string, undefined, context);

    // The row first (its triggers lock the agency's hold counter, before inbox and nights).
    const updated = await this.bookings.amend(manager, booking.id, amended);
    if (booking.status === 'held') await this.refuseIfOverHoldLimit(manager, booking, updated);
    // The audit event, in this transaction (and its savepoint): a refusal below takes it back.
    await this.audit.record(manager, [
      { action: 'booking.amended', entityType: 'booking', entityId: booking.id, origin, changes: { ...changes } },
    ]);
    if (principal.role === 'operations') {
      await this.notifications.insertMany(manager, [
        {
          agencyId: booking.agencyId,
          type: 'booking.amended',
          data: { bookingId: booking.id, reference: booking.reference, version: updated.version, changes },
          dedupeKey: `booking:${booking.id}:amended:${updated.version}`,
        },
      ]);
    }

    // Nights of old ∪ new stay by date, then flights of old ∪ new by id; the delta decided against them.
    const held = booking.status === 'held';
    const nightDeltas = sumNightDeltas([
      ...nightDeltasFor([{ checkIn: booking.checkIn, checkOut: booking.checkOut, guests: booking.guestCount, held }], -1),
      ...nightDeltasFor([{ checkIn: amended.checkIn, checkOut: amended.checkOut, guests: updated.guestCount, held }], 1),
    ]);
    const nights = await this.lockNights(
      manager,
      nightDeltas.map((delta) => delta.date),
    );
    const seatDeltas = sumSeatDeltas(
      segments.flatMap(({ current, next }) => [
        ...(current ? [{ flightId: current, seats: -booking.guestCount }] : []),
        ...(next ? [{ flightId: next, seats: updated.guestCount }] : []),
      ]),
    );
    const flights = await this.flights.lockFlights(
      manager,
      segments.flatMap(({ current, next }) => [current, next].filter((flightId) => flightId !== null)),
    );

    for (const segment of segments) {
      if (!segment.next || !segment.recheck) continue;
      const refusal = segmentRefusal(segment.segment, segment.next, flights.get(segment.next), context);
      if (refusal) throw refusal;
    }
    const oldNights = new Set(nightsOfStay(booking.checkIn, booking.checkOut));
    const shortNights: ShortNight[] = [];
    for (const delta of nightDeltas) {
      const night = nights.get(delta.date);
      if (delta.reserved <= 0) continue;
      const available = night ? night.capacity - night.reserved + (oldNights.has(delta.date) ? booking.guestCount : 0) : 0;
      if (!night || night.reserved + delta.reserved > night.capacity)
        shortNights.push({ date: delta.date, requested: updated.guestCount, available: Math.max(available, 0) });
    }
    if (shortNights.length > 0) throw new CapacityExhausted(shortNights);
    const shortFlights: ShortFlight[] = [];
    for (const segment of segments) {
      if (!segment.next) continue;
      const delta = seatDeltas.find((entry) => entry.flightId === segment.next);
      const flight = flights.get(segment.next);
      if (!delta || delta.seats <= 0 || !flight) continue;
      if (flight.seatsReserved + delta.seats > flight.seats) {
        const ownSeats = segment.current === segment.next ? booking.guestCount : 0;
        shortFlights.push({
          flightId: segment.next,
          segment: segment.segment,
          requested: updated.guestCount,
          available: Math.max(flight.seats - flight.seatsReserved + ownSeats, 0),
        });
      }
    }
    if (shortFlights.length > 0) throw new SeatsExhausted(shortFlights);

    await this.capacity.addToNights(manager, nightDeltas);
    await this.flights.addToSeats(manager, seatDeltas);
    return { before: booking, booking: updated, changes };
  }

  private refuseIfNotAmendable(booking: BookingRow): void {
    if (booking.status === 'cancelled') throw new InvalidState(`Booking ${booking.reference} is cancelled`);
    const now = this.clock.now();
    if (booking.holdExpiresAt && new Date(booking.holdExpiresAt) <= now) {
      throw new InvalidState(`The hold on ${booking.reference} expired at ${new Date(booking.holdExpiresAt).toISOString()}`);
    }
    // As keep decides it: past the deadline the booking is being cancelled (the deadline job may not have run yet).
    if (booking.actionRequiredDeadline && new Date(booking.actionRequiredDeadline) <= now) {
      throw new InvalidState(
        `Booking ${booking.reference}: the decision was due at ${new Date(booking.actionRequiredDeadline).toISOString()}; it is being cancelled`,
      );
    }
  }

  /**
   * A held party that grew must fit under MAX_HELD_GUESTS_PER_AGENCY. The counter was updated
   * (and locked) by the booking's UPDATE just before; holds past their expiry not yet swept do not
   * count, as at admission (read only when the counter alone is over the limit).
   */
  private async refuseIfOverHoldLimit(manager: EntityManager, before: BookingRow, after: BookingRow): Promise<void> {
    const growth = after.guestCount - before.guestCount;
    if (growth <= 0) return;
    const limit = this.config.MAX_HELD_GUESTS_PER_AGENCY;
    let held = (await this.bookings.heldGuestsOf(manager, [before.agencyId])).get(before.agencyId) ?? 0;
    if (held <= limit) return;
    held -= (await this.bookings.expiredHeldGuestsOf(manager, [before.agencyId], this.clock.now())).get(before.agencyId) ?? 0;
    if (held > limit) throw new HoldLimitReached(limit, held - growth, growth);
  }

  /** Locks the nights in date order; a night another amendment's dates made this one need, and that has no row yet, is created first. */
  private async lockNights(manager: EntityManager, dates: string[]): Promise<Map<string, { capacity: number; reserved: number }>> {
    const nights = await this.capacity.lockNights(manager, dates);
    const missing = dates.filter((date) => !nights.has(date));
    if (missing.length === 0) return nights;
    await this.capacity.ensureNights(missing, this.config.RESORT_CAPACITY);
    return this.capacity.lockNights(manager, dates);
  }

  /** Creates the amended stay's missing night rows before the transaction (which then only locks existing rows). */
  private async ensureNightRows(stay: { checkIn: string; checkOut: string }): Promise<void> {
    if (stay.checkOut <= stay.checkIn || nightsOfStay(stay.checkIn, stay.checkOut).length > this.config.MAX_STAY_NIGHTS) return;
    const dates = nightsOfStay(stay.checkIn, stay.checkOut);
    const existing = await this.capacity.existingNights(dates);
    const missing = dates.filter((date) => !existing.has(date));
    if (missing.length > 0) await this.capacity.ensureNights(missing, this.config.RESORT_CAPACITY);
  }

  private async replay(idempotency: { agencyId: string; key: string; requestHash: string }): Promise<AmendmentOutcome> {
    const record = await this.bookings.findIdempotencyRecord(idempotency.agencyId, idempotency.key);
    if (!record || record.responseStatus === null)
      throw new InvalidState('A request with this Idempotency-Key is still being processed; retry shortly');
    if (record.requestHash !== idempotency.requestHash)
      throw new IdempotencyKeyReused('This Idempotency-Key was first used with a different request body');
    return { kind: 'replayed', answer: { status: record.responseStatus, body: record.responseBody } };
  }
}

const AMENDABLE = ['checkIn', 'checkOut', 'guests', 'outboundFlightId', 'returnFlightId'] as const;

/**
 * The stored key of a PATCH's Idempotency-Key: scoped to the method and the booking, with spaces,
 * which a client's key (printable ASCII without space) never contains, so it can neither replay
 * a POST's answer nor another booking's.
 */
function amendmentKeyOf(bookingId: string, key: string): string {
  return `PATCH ${bookingId} ${key}`;
}

function visibleAgency(principal: Principal): string | undefined {
  return principal.role === 'agent' ? (principal.agencyId as string) : undefined;
}

function mergedStay(booking: Pick<BookingRow, 'checkIn' | 'checkOut'>, body: AmendBookingDto): { checkIn: string; checkOut: string } {
  return { checkIn: body.checkIn ?? booking.checkIn, checkOut: body.checkOut ?? booking.checkOut };
}

/**
 * Each leg's flight before and after. A leg is re-checked against the flight's rules (fits the
 * date, not cancelled, not departed) when it names a new flight, its date changes, or the party
 * grows on it; a leg left as it was is not (a party may shrink on a flight that has since left).
 */
function segmentChanges(
  before: BookingRow,
  after: AmendableFields,
): { segment: FlightSegment; current: string | null; next: string | null; recheck: boolean }[] {
  const grows = after.guests.length > before.guestCount;
  return [
    {
      segment: 'outbound' as const,
      current: before.outboundFlightId,
      next: after.outboundFlightId,
      dateChanged: before.checkIn !== after.checkIn,
    },
    {
      segment: 'return' as const,
      current: before.returnFlightId,
      next: after.returnFlightId,
      dateChanged: before.checkOut !== after.checkOut,
    },
  ].map(({ segment, current, next, dateChanged }) => ({ segment, current, next, recheck: current !== next || dateChanged || grows }));
}

/** One delta per night, zero ones dropped, in date order (the lock order). */
function sumNightDeltas(deltas: NightDelta[]): NightDelta[] {
  const byDate = new Map<string, NightDelta>();
  for (const delta of deltas) {
    const sum = byDate.get(delta.date) ?? { date: delta.date, reserved: 0, held: 0 };
    sum.reserved += delta.reserved;
    sum.held += delta.held;
    byDate.set(delta.date, sum);
  }
  return [...byDate.values()]
    .filter((delta) => delta.reserved !== 0 || delta.held !== 0)
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
