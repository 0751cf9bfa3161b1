import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AgenciesService, Principal } from '#libs/access';
import { AuditEventRow, AuditOrigin, AuditService, changesBetween } from '#libs/audit';
import { AppConfig } from '#libs/config';
import { CapacityService, nightDeltasFor } from '#libs/capacity';
import {
  FlightRow,
  FlightSegment,
  FlightsService,
  SeatDelta,
  seatShortfall,
  SeatsExhausted,
  segmentContextOf,
  segmentRefusal,
  ShortFlight,
} from '#libs/flights';
import { jobIds, JobQueue } from '#libs/jobs';
import { Metrics } from '#libs/observability';
import {
  Clock,
  decodeTimestampCursor,
  DomainError,
  pageOf,
  Forbidden,
  IdempotencyKeyReused,
  InvalidState,
  localDateOf,
  nightsOfStay,
  NotFound,
  Page,
  ValidationFailed,
} from '#libs/shared';
import { AdmissionBatcher } from './admission/admission-batcher';
import { AUDITED_BOOKING_FIELDS } from './audited-booking-fields';
import { AdmissionRequest } from './admission/admission.types';
import { BookingCancellation } from './booking-cancellation';
import { hashRequestBody } from './booking-request-hash';
import { BookingRow } from './booking-row';
import { stayRuleProblems, storedGuestsOf } from './booking-rules';
import { checkVersion, VersionPrecondition } from './version-precondition';
import { BookingListFilter, BookingsRepository } from './bookings.repository';
import { CreateBookingDto } from './dto/create-booking.dto';
import { StoredAnswer } from './idempotent-answers';

/**
 * What a create came to: a new booking; a refusal, returned (not thrown) when the request has an
 * Idempotency-Key, as that refusal is the key's stored first answer; or, for a reused key, that
 * first answer as it was sent. Without a key a refusal is thrown, like every other domain error.
 */
export type CreateBookingOutcome =
  { kind: 'created'; booking: BookingRow } | { kind: 'refused'; error: DomainError } | { kind: 'replayed'; answer: StoredAnswer };

@Injectable()
export class BookingsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: BookingsRepository,
    private readonly capacity: CapacityService,
    private readonly admission: AdmissionBatcher,
    private readonly cancellation: BookingCancellation,
    private readonly flights: FlightsService,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly agencies: AgenciesService,
    private readonly audit: AuditService,
  ) {}

  async create(
    principal: Principal,
    body: CreateBookingDto,
    idempotencyKey: string | undefined,
    origin: AuditOrigin,
  ): Promise<CreateBookingOutcome> {
    const agencyId = this.agencyFor(principal, body.agencyId);
    // An agent's agency exists (its key references it); one an operations key names may not.
    // Agencies are never deleted, so this check holds at commit (a foreign key backs it).
    if (principal.role !== 'agent') await this.agencies.get(agencyId);
    const idempotency = idempotencyKey ? { key: idempotencyKey, requestHash: hashRequestBody(body) } : null;

    // A retry is recognised inside the admission transaction, where its key is claimed (no extra
    // query on the hot path). Only a retry that no longer passes validation (say, its check-in
    // date has since become past) is looked up here, so that it still replays its first answer.
    let request: AdmissionRequest;
    try {
      request = this.validatedRequest(principal, agencyId, body, idempotency, origin);
    } catch (error) {
      const replay = idempotency ? await this.storedAnswer(agencyId, idempotency) : undefined;
      if (replay) return replay;
      throw error;
    }
    const outcome = await this.admission.admit(request);
    switch (outcome.kind) {
      case 'created':
        this.metrics.bookingsCreated.inc({ status: outcome.booking.status });
        if (outcome.booking.holdExpiresAt) await this.scheduleHoldExpiry(outcome.booking);
        return { kind: 'created', booking: outcome.booking };
      case 'replayed':
        return outcome;
      case 'refused':
        this.metrics.bookingsRefused.inc({ reason: outcome.error.code });
        if (idempotency) return outcome;
        throw outcome.error;
    }
  }

  /** The first answer given to this Idempotency-Key, if it has committed. */
  private async storedAnswer(
    agencyId: string,
    idempotency: { key: string; requestHash: string },
  ): Promise<CreateBookingOutcome | undefined> {
    const record = await this.repository.findIdempotencyRecord(agencyId, idempotency.key);
    if (!record || record.responseStatus === null) return undefined;
    if (record.requestHash !== idempotency.requestHash) {
      throw new IdempotencyKeyReused('This Idempotency-Key was first used with a different request body');
    }
    return { kind: 'replayed', answer: { status: record.responseStatus, body: record.responseBody } };
  }

  async get(principal: Principal, id: string): Promise<BookingRow> {
    const booking = await this.repository.findById(id, this.visibleAgency(principal));
    if (!booking) throw new NotFound('Booking', id);
    return booking;
  }

  async list(principal: Principal, filter: BookingListFilter, limit: number, cursor?: string): Promise<Page<BookingRow>> {
    if (principal.role === 'agent' && filter.agencyId && filter.agencyId !== principal.agencyId) {
      throw new Forbidden('Agents see only their own bookings');
    }
    if (filter.checkInFrom && filter.checkInTo && filter.checkInTo < filter.checkInFrom) {
      throw ValidationFailed.field('checkInTo', 'must not be before checkInFrom');
    }
    const before = cursor ? decodeTimestampCursor('bookings', cursor, 'createdAt') : undefined;
    const rows = await this.repository.list({ ...filter, agencyId: this.visibleAgency(principal) ?? filter.agencyId }, limit + 1, before);
    return pageOf(rows, limit, 'bookings', (row) => ({ createdAt: row.cursorCreatedAt, id: row.id }));
  }

  async confirm(principal: Principal, id: string, precondition: VersionPrecondition | undefined, origin: AuditOrigin): Promise<BookingRow> {
    return this.dataSource.transaction(async (manager) => {
      const booking = await this.repository.lockById(manager, id, this.visibleAgency(principal));
      if (!booking) throw new NotFound('Booking', id);
      checkVersion(booking, precondition);
      if (booking.status === 'confirmed') return booking;
      if (booking.status === 'cancelled') throw new InvalidState(`Booking ${booking.reference} is cancelled`);
      this.refuseIfHoldExpired(booking);
      // The status first: its trigger updates the agency's held-guests counter, which is locked
      // before the nights in every transaction (see the AgencyHoldCounters migration).
      const confirmed = await this.repository.markConfirmed(manager, booking.id);
      // The guests stay reserved; they just stop counting as held.
      await this.capacity.lockAndAddToNights(
        manager,
        nightDeltasFor([{ checkIn: booking.checkIn, checkOut: booking.checkOut, guests: booking.guestCount, held: true }], 1).map(
          (delta) => ({ ...delta, reserved: 0, held: -delta.held }),
        ),
      );
      await this.recordChange(manager, 'booking.confirmed', booking, confirmed, origin);
      return confirmed;
    });
  }

  /**
   * The agency keeps a party a restriction reduced (policy `ask`). Decided under the booking's row
   * lock, as the deadline job decides, and only before the deadline: a keep racing the deadline
   * either keeps the booking or finds it cancelled (or about to be), never both.
   */
  async keep(principal: Principal, id: string, precondition: VersionPrecondition | undefined, origin: AuditOrigin): Promise<BookingRow> {
    return this.dataSource.transaction(async (manager) => {
      const booking = await this.repository.lockById(manager, id, this.visibleAgency(principal));
      if (!booking) throw new NotFound('Booking', id);
      checkVersion(booking, precondition);
      if (booking.status === 'cancelled') throw new InvalidState(`Booking ${booking.reference} is cancelled`);
      if (!booking.actionRequiredDeadline) throw new InvalidState(`Booking ${booking.reference} has no decision to make`);
      const deadline = new Date(booking.actionRequiredDeadline);
      if (deadline.getTime() <= this.clock.now().getTime()) {
        throw new InvalidState(`Booking ${booking.reference}: the decision was due at ${deadline.toISOString()}; it is being cancelled`);
      }
      const kept = await this.repository.clearActionRequired(manager, booking.id);
      await this.audit.record(manager, [
        {
          action: 'booking.kept',
          entityType: 'booking',
          entityId: booking.id,
          origin,
          changes: {
            actionRequired: {
              from: {
                reason: booking.actionRequiredReason,
                restrictionId: booking.actionRequiredRestrictionId,
                deadline: deadline.toISOString(),
              },
              to: null,
            },
          },
        },
      ]);
      return kept;
    });
  }

  async cancel(principal: Principal, id: string, precondition: VersionPrecondition | undefined, origin: AuditOrigin): Promise<BookingRow> {
    return this.cancellation.transaction(async (manager) => {
      const booking = await this.repository.lockById(manager, id, this.visibleAgency(principal));
      if (!booking) throw new NotFound('Booking', id);
      checkVersion(booking, precondition);
      if (booking.status === 'cancelled') throw new InvalidState(`Booking ${booking.reference} is already cancelled`);
      const reason = principal.role === 'operations' ? 'operations' : 'agent_request';
      await this.cancellation.cancelLocked(manager, [booking], { reason, origin });
      // The cancellation returns only what it needed; the answer is the whole booking as it is now.
      return (await this.repository.lockById(manager, id)) as BookingRow;
    });
  }

  /**
   * Replaces a live booking's flights atomically: `PUT` semantics, so the body is the whole
   * answer — a segment that is absent or null is removed (its seats released), a segment whose
   * flight is unchanged keeps its seats. The new seats are taken and the old released in one
   * transaction (booking, then flights in id order): if any new segment is refused, nothing changes.
   */
  async replaceFlights(
    principal: Principal,
    id: string,
    wanted: { outboundFlightId?: string | null; returnFlightId?: string | null },
    precondition: VersionPrecondition | undefined,
    origin: AuditOrigin,
  ): Promise<BookingRow> {
    return this.dataSource.transaction(async (manager) => {
      const booking = await this.repository.lockById(manager, id, this.visibleAgency(principal));
      if (!booking) throw new NotFound('Booking', id);
      checkVersion(booking, precondition);
      if (booking.status === 'cancelled') throw new InvalidState(`Booking ${booking.reference} is cancelled`);
      this.refuseIfHoldExpired(booking);
      const segments: { segment: FlightSegment; current: string | null; next: string | null }[] = [
        { segment: 'outbound', current: booking.outboundFlightId, next: wanted.outboundFlightId ?? null },
        { segment: 'return', current: booking.returnFlightId, next: wanted.returnFlightId ?? null },
      ];
      const changed = segments.filter((entry) => entry.current !== entry.next);
      if (changed.length === 0) return booking;

      const flights = await this.flights.lockFlights(
        manager,
        changed.flatMap((entry) => [entry.current, entry.next].filter((flightId) => flightId !== null)),
      );
      const context = segmentContextOf(booking, this.config, this.clock.now());
      const deltas: SeatDelta[] = [];
      const short: ShortFlight[] = [];
      for (const { segment, current, next } of changed) {
        if (current) deltas.push({ flightId: current, seats: -booking.guestCount });
        if (!next) continue;
        const refusal = segmentRefusal(segment, next, flights.get(next), context);
        if (refusal) throw refusal;
        deltas.push({ flightId: next, seats: booking.guestCount });
        const shortfall = seatShortfall(segment, next, flights.get(next) as FlightRow, booking.guestCount);
        if (shortfall) short.push(shortfall);
      }
      if (short.length > 0) throw new SeatsExhausted(short);
      await this.flights.addToSeats(manager, deltas);
      const replaced = await this.repository.setFlights(manager, booking.id, {
        outboundFlightId: wanted.outboundFlightId ?? null,
        returnFlightId: wanted.returnFlightId ?? null,
      });
      await this.recordChange(manager, 'booking.flights_replaced', booking, replaced, origin);
      return replaced;
    });
  }

  /** A booking's history, oldest first (own agency; another agency's booking is 404). */
  async history(principal: Principal, id: string): Promise<AuditEventRow[]> {
    await this.get(principal, id);
    return this.audit.historyOf('booking', id);
  }

  /** One audit event of a change to one booking: the fields that differ between `before` and `after`. */
  private async recordChange(
    manager: EntityManager,
    action: 'booking.confirmed' | 'booking.flights_replaced',
    before: BookingRow,
    after: BookingRow,
    origin: AuditOrigin,
  ): Promise<void> {
    const changes = changesBetween(before, after, AUDITED_BOOKING_FIELDS);
    await this.audit.record(manager, [{ action, entityType: 'booking', entityId: before.id, origin, changes }]);
  }

  /** A hold past its expiry can no longer be changed, even if the sweep has not released it yet. */
  private refuseIfHoldExpired(booking: BookingRow): void {
    if (booking.holdExpiresAt && new Date(booking.holdExpiresAt) <= this.clock.now()) {
      throw new InvalidState(`The hold on ${booking.reference} expired at ${new Date(booking.holdExpiresAt).toISOString()}`);
    }
  }

  private async scheduleHoldExpiry(booking: BookingRow): Promise<void> {
    const delay = Math.max(new Date(booking.holdExpiresAt as Date).getTime() - this.clock.now().getTime(), 0);
    await this.jobs.addBestEffort('expire-hold', { bookingId: booking.id }, { jobId: jobIds.expireHold(booking.id), delay });
  }

  /** Agents act for their own agency only; operations name the agency. */
  private agencyFor(principal: Principal, requested: string | undefined): string {
    if (principal.role === 'agent') {
      if (requested && requested !== principal.agencyId) throw new Forbidden('Agents may only book for their own agency');
      return principal.agencyId as string;
    }
    if (!requested) throw ValidationFailed.field('agencyId', 'operations keys must say which agency the booking is for');
    return requested;
  }

  /** Undefined means "every agency" (operations). */
  private visibleAgency(principal: Principal): string | undefined {
    return principal.role === 'agent' ? (principal.agencyId as string) : undefined;
  }

  /** The rules of PRODUCT.md that need configuration or today's date; the DTO checked shapes. */
  private validatedRequest(
    principal: Principal,
    agencyId: string,
    body: CreateBookingDto,
    idempotency: AdmissionRequest['idempotency'],
    origin: AuditOrigin,
  ): AdmissionRequest {
    const today = localDateOf(this.clock.now(), this.config.RESORT_TIMEZONE);
    const problems = stayRuleProblems(body, this.config, today);
    if (problems.length > 0) throw new ValidationFailed(problems);

    const hold = body.hold === true;
    return {
      agencyId,
      createdByKeyId: principal.keyId,
      checkIn: body.checkIn,
      checkOut: body.checkOut,
      nights: nightsOfStay(body.checkIn, body.checkOut),
      guests: storedGuestsOf(body.guests),
      hold,
      holdExpiresAt: hold ? new Date(this.clock.now().getTime() + this.config.HOLD_TTL_SECONDS * 1000) : null,
      outboundFlightId: body.outboundFlightId ?? null,
      returnFlightId: body.returnFlightId ?? null,
      idempotency,
      origin,
    };
  }
}
