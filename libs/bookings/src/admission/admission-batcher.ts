import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService, changesBetween } from '#libs/audit';
import { AppConfig } from '#libs/config';
import { CapacityExhausted, CapacityService, NightState, ShortNight } from '#libs/capacity';
import {
  FlightRow,
  FlightSegment,
  FlightsService,
  SeatDelta,
  seatShortfall,
  SeatsExhausted,
  segmentContextOf,
  segmentRefusal,
} from '#libs/flights';
import { describeError, Metrics } from '#libs/observability';
import { RestrictionGate } from '#libs/restrictions';
import { Clock, DomainError, IdempotencyKeyReused, isForeignKeyViolationOn, NotFound } from '#libs/shared';
import type { BookingRow } from '../booking-row';
import { HoldLimitReached } from '../bookings.errors';
import { AUDITED_BOOKING_FIELDS } from '../audited-booking-fields';
import { BookingsRepository, NewBooking } from '../bookings.repository';
import { IdempotentAnswers } from '../idempotent-answers';
import { AdmissionOutcome, AdmissionRequest } from './admission.types';

interface PendingAdmission {
  request: AdmissionRequest;
  /** performance.now() when the request joined the pending list. */
  queuedAt: number;
  resolve: (outcome: AdmissionOutcome) => void;
  reject: (error: unknown) => void;
}

/** At most this many requests share one transaction; bounds the time a batch holds its night locks. */
const MAX_BATCH_SIZE = 128;
/** Deadlocks and serialization failures are retried this many times before the batch is split. */
const MAX_BATCH_ATTEMPTS = 3;
const RETRYABLE_CODES = new Set(['40P01', '40001']);

/**
 * Admits booking requests in small batches, one transaction per batch.
 *
 * Why: a booking must lock the rows of its nights until it commits, so on a popular night
 * one-transaction-per-booking serialises every request behind a commit (an fsync). Here
 * the requests that arrive while a batch is committing wait and go together into the next
 * one: the nights are locked once, in date order, every request is decided in memory
 * against the locked counters (each all-or-nothing, with its own answer), and one commit
 * makes them all durable. At low load a batch holds a single request, so latency stays that
 * of one transaction; under load batches grow and commits are amortised.
 *
 * The pending list lives only in memory, and only for requests whose HTTP call is still
 * open: if the process dies, their clients get a connection error and nothing was written
 * (the transaction never committed). The database constraints (reserved ≤ capacity) hold
 * whatever this code does.
 */
@Injectable()
export class AdmissionBatcher implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AdmissionBatcher.name);
  private pending: PendingAdmission[] = [];
  private running = false;
  /** Nights known to have a row, so most batches skip the "create missing nights" statement (the most recently booked 10,000). */
  private readonly knownNights = new LRUCache<string, true>({ max: 10_000 });

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bookings: BookingsRepository,
    private readonly capacity: CapacityService,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly restrictions: RestrictionGate,
    private readonly flights: FlightsService,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly answers: IdempotentAnswers,
  ) {}

  /** Graceful shutdown: requests already accepted into the batcher are admitted before connections close. */
  async beforeApplicationShutdown(): Promise<void> {
    const deadline = performance.now() + 10_000; // a timeout: the monotonic clock
    while ((this.running || this.pending.length > 0) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  admit(request: AdmissionRequest): Promise<AdmissionOutcome> {
    return new Promise((resolve, reject) => {
      this.pending.push({ request, queuedAt: performance.now(), resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.takeBatch();
        const startedAt = performance.now();
        for (const entry of batch) this.metrics.admissionWait.observe((startedAt - entry.queuedAt) / 1000);
        await this.runBatch(batch);
        this.metrics.admissionBatchDuration.observe((performance.now() - startedAt) / 1000);
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * Takes the next batch. A second request with the same Idempotency-Key as one already in the
   * batch stays pending: it runs after the first has committed and then replays its response.
   */
  private takeBatch(): PendingAdmission[] {
    const batch: PendingAdmission[] = [];
    const keysInBatch = new Set<string>();
    const deferred: PendingAdmission[] = [];
    for (const entry of this.pending) {
      const idempotency = entry.request.idempotency;
      const key = idempotency ? `${entry.request.agencyId}/${idempotency.key}` : undefined;
      if (batch.length >= MAX_BATCH_SIZE || (key && keysInBatch.has(key))) {
        deferred.push(entry);
        continue;
      }
      if (key) keysInBatch.add(key);
      batch.push(entry);
    }
    this.pending = deferred;
    return batch;
  }

  private async runBatch(batch: PendingAdmission[]): Promise<void> {
    this.metrics.admissionBatchSize.observe(batch.length);
    for (let attempt = 1; ; attempt++) {
      try {
        const outcomes = await this.admitInOneTransaction(batch.map((entry) => entry.request));
        batch.forEach((entry, index) => entry.resolve(outcomes[index]));
        return;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code && RETRYABLE_CODES.has(code) && attempt < MAX_BATCH_ATTEMPTS) continue;
        if (batch.length > 1) {
          // Something in this batch failed unexpectedly: retry each request alone so that one
          // bad request cannot fail the others.
          this.logger.warn(`admission batch of ${batch.length} failed (${describeError(error)}); retrying one by one`);
          for (const entry of batch) await this.runBatch([entry]);
          return;
        }
        // Agencies are never deleted and the service checked this one exists, so a foreign-key
        // violation on the agency means it was named wrongly after all: not found, not a 500.
        if (isForeignKeyViolationOn(error, 'agency_id')) {
          batch[0].resolve({ kind: 'refused', error: new NotFound('Agency', batch[0].request.agencyId) });
          return;
        }
        batch[0].reject(error);
        return;
      }
    }
  }

  private async admitInOneTransaction(requests: AdmissionRequest[]): Promise<AdmissionOutcome[]> {
    await this.ensureNightRows(requests);
    const outcomes = new Array<AdmissionOutcome | undefined>(requests.length);
    const replayIndexes: number[] = [];

    // READ COMMITTED, PostgreSQL's default (naming it would cost TypeORM one more statement per batch).
    await this.dataSource.transaction(async (manager) => {
      // 1. Claim Idempotency-Keys first, before any night lock: a request whose key is already
      //    taken (by a committed or concurrent booking) leaves the batch and replays instead.
      const claims = requests.flatMap((request) =>
        request.idempotency
          ? [{ agencyId: request.agencyId, key: request.idempotency.key, requestHash: request.idempotency.requestHash }]
          : [],
      );
      const claimed = await this.bookings.claimIdempotencyKeys(manager, claims);
      const candidates: number[] = [];
      requests.forEach((request, index) => {
        if (request.idempotency && !claimed.has(`${request.agencyId}/${request.idempotency.key}`)) replayIndexes.push(index);
        else candidates.push(index);
      });

      // 2. Restrictions in force for the batch's check-in dates. This takes the restrictions lock
      //    shared, so a ban being created either commits first (and is seen here) or waits for
      //    this batch to commit (and its enforcement then finds these bookings). A restricted
      //    request is refused here: that needs no night lock.
      const restrictions = await this.restrictions.load(
        manager,
        candidates.map((index) => requests[index].checkIn),
      );
      // Flights are never deleted: one that exists now exists at commit. A request naming an
      // unknown flight is refused here, before its booking row would break the foreign key.
      const existingFlights = await this.flights.existingIds(manager, flightIdsOf(requests, candidates));
      const unrestricted: number[] = [];
      for (const index of candidates) {
        const refusal =
          this.restrictions.refusalFor(restrictions, requests[index]) ?? this.unknownFlightRefusalFor(requests[index], existingFlights);
        if (refusal) outcomes[index] = { kind: 'refused', error: refusal };
        else unrestricted.push(index);
      }

      // 3. Write the bookings and their stored answers before taking any night lock, as if every
      //    request will be admitted. Nobody sees them before the commit, and the locks of the hot
      //    nights are then held only while deciding and updating the counters. A request refused
      //    below has its row deleted and its answer rewritten, in this same transaction.
      const drafts = unrestricted.map((index) => ({ index, booking: this.newBooking(requests[index]) }));
      const rows = await this.bookings.insertMany(
        manager,
        drafts.map((draft) => draft.booking),
      );
      const rowsById = new Map(rows.map((row) => [row.id, row]));
      for (const { index, booking } of drafts) {
        outcomes[index] = { kind: 'created', booking: rowsById.get(booking.id) as NonNullable<ReturnType<typeof rowsById.get>> };
      }
      await this.saveResponses(manager, requests, outcomes, candidates);
      // Their `booking.created` events too, in one statement; those of refused drafts go with them.
      await this.audit.record(
        manager,
        drafts.map(({ index, booking }) => ({
          action: 'booking.created' as const,
          entityType: 'booking' as const,
          entityId: booking.id,
          origin: requests[index].origin,
          changes: changesBetween(undefined, rowsById.get(booking.id) as BookingRow, AUDITED_BOOKING_FIELDS),
        })),
      );
      // The held drafts' trigger has locked their agencies' counters (agencies in id order,
      // before any night): what each agency may still hold is decided against those.
      const holdRoom = await this.holdRoomOf(
        manager,
        drafts.map(({ index }) => requests[index]),
      );

      // 4. Lock every night the batch touches, in date order; then the flights it books seats on,
      //    in id order (after the nights: the one lock order).
      const dates = [...new Set(unrestricted.flatMap((index) => requests[index].nights))].sort();
      const nights = await this.capacity.lockNights(manager, dates);
      const flights = await this.flights.lockFlights(manager, flightIdsOf(requests, unrestricted));

      // 5. Decide each request in arrival order against the locked counters.
      const admitted: number[] = [];
      const refused: { index: number; bookingId: string }[] = [];
      for (const { index, booking } of drafts) {
        const request = requests[index];
        // Nights and seats are decided together: a request short of either takes neither.
        const refusal =
          this.holdLimitRefusalFor(request, holdRoom) ??
          this.flightRefusalFor(request, flights) ??
          this.refusalFor(request, nights) ??
          this.seatRefusalFor(request, flights);
        if (refusal) {
          outcomes[index] = { kind: 'refused', error: refusal };
          refused.push({ index, bookingId: booking.id });
          continue;
        }
        for (const date of request.nights) {
          const night = nights.get(date) as NightState;
          night.reserved += request.guests.length;
          if (request.hold) night.held += request.guests.length;
        }
        for (const { flightId } of segmentsOf(request)) (flights.get(flightId) as FlightRow).seatsReserved += request.guests.length;
        if (request.hold) (holdRoom.get(request.agencyId) as HoldRoom).held += request.guests.length;
        admitted.push(index);
      }

      // 6. Night and seat counters (CHECK constraints re-verify capacity and seats); undo the refused drafts.
      await this.writeNightCounters(manager, requests, admitted);
      await this.writeSeatCounters(manager, requests, admitted);
      if (refused.length > 0) {
        await this.bookings.deleteDrafts(
          manager,
          refused.map((entry) => entry.bookingId),
        );
        await this.audit.discardBookings(
          manager,
          refused.map((entry) => entry.bookingId),
        );
        await this.saveResponses(
          manager,
          requests,
          outcomes,
          refused.map((entry) => entry.index),
        );
      }
    });

    for (const index of replayIndexes) outcomes[index] = await this.replay(requests[index]);
    return outcomes as AdmissionOutcome[];
  }

  /**
   * Guests each agency of the batch's holds has in live holds before this batch. The counter
   * includes this batch's own held drafts (written just before), so those are taken off; holds
   * past their expiry that the sweep has not released yet are taken off too (a hold that ran out
   * can never be confirmed again, so it is not live), but only read when the batch could
   * otherwise go over the limit: the common batch makes one small query more, holds only.
   */
  private async holdRoomOf(manager: EntityManager, drafted: AdmissionRequest[]): Promise<Map<string, HoldRoom>> {
    const holdGuests = new Map<string, number>();
    for (const request of drafted) {
      if (request.hold) holdGuests.set(request.agencyId, (holdGuests.get(request.agencyId) ?? 0) + request.guests.length);
    }
    const room = new Map<string, HoldRoom>();
    if (holdGuests.size === 0) return room;
    const limit = this.config.MAX_HELD_GUESTS_PER_AGENCY;
    const counted = await this.bookings.heldGuestsOf(manager, [...holdGuests.keys()]);
    const crowded: string[] = [];
    for (const [agencyId, drafts] of holdGuests) {
      const held = (counted.get(agencyId) ?? drafts) - drafts;
      room.set(agencyId, { held });
      if (held + drafts > limit) crowded.push(agencyId);
    }
    if (crowded.length > 0) {
      const expired = await this.bookings.expiredHeldGuestsOf(manager, crowded, this.clock.now());
      for (const [agencyId, guests] of expired) (room.get(agencyId) as HoldRoom).held -= guests;
    }
    return room;
  }

  private holdLimitRefusalFor(request: AdmissionRequest, holdRoom: Map<string, HoldRoom>): DomainError | undefined {
    if (!request.hold) return undefined;
    const { held } = holdRoom.get(request.agencyId) as HoldRoom;
    const limit = this.config.MAX_HELD_GUESTS_PER_AGENCY;
    return held + request.guests.length > limit ? new HoldLimitReached(limit, held, request.guests.length) : undefined;
  }

  private refusalFor(request: AdmissionRequest, nights: Map<string, NightState>): DomainError | undefined {
    const short: ShortNight[] = [];
    for (const date of request.nights) {
      const night = nights.get(date);
      const available = night ? night.capacity - night.reserved : 0;
      if (request.guests.length > available) short.push({ date, requested: request.guests.length, available: Math.max(available, 0) });
    }
    return short.length > 0 ? new CapacityExhausted(short) : undefined;
  }

  private unknownFlightRefusalFor(request: AdmissionRequest, existingFlights: Set<string>): DomainError | undefined {
    const unknown = segmentsOf(request).find(({ flightId }) => !existingFlights.has(flightId));
    return unknown
      ? segmentRefusal(unknown.segment, unknown.flightId, undefined, segmentContextOf(request, this.config, this.clock.now()))
      : undefined;
  }

  /** A flight that does not exist, does not fit the stay or is cancelled (pure rules in libs/flights). */
  private flightRefusalFor(request: AdmissionRequest, flights: Map<string, FlightRow>): DomainError | undefined {
    const context = segmentContextOf(request, this.config, this.clock.now());
    for (const { segment, flightId } of segmentsOf(request)) {
      const refusal = segmentRefusal(segment, flightId, flights.get(flightId), context);
      if (refusal) return refusal;
    }
    return undefined;
  }

  /** One seat per guest on each flight, against the locked counters (earlier requests of the batch included). */
  private seatRefusalFor(request: AdmissionRequest, flights: Map<string, FlightRow>): DomainError | undefined {
    const short = segmentsOf(request).flatMap(
      ({ segment, flightId }) => seatShortfall(segment, flightId, flights.get(flightId) as FlightRow, request.guests.length) ?? [],
    );
    return short.length > 0 ? new SeatsExhausted(short) : undefined;
  }

  /** Seat counters of the accepted requests, one set-based statement (the CHECK constraint re-verifies seats). */
  private async writeSeatCounters(manager: EntityManager, requests: AdmissionRequest[], acceptedIndexes: number[]): Promise<void> {
    const deltas: SeatDelta[] = acceptedIndexes.flatMap((index) =>
      segmentsOf(requests[index]).map(({ flightId }) => ({ flightId, seats: requests[index].guests.length })),
    );
    await this.flights.addToSeats(manager, deltas);
  }

  private async writeNightCounters(manager: EntityManager, requests: AdmissionRequest[], acceptedIndexes: number[]): Promise<void> {
    const deltas = new Map<string, { date: string; reserved: number; held: number }>();
    for (const index of acceptedIndexes) {
      const request = requests[index];
      for (const date of request.nights) {
        const delta = deltas.get(date) ?? { date, reserved: 0, held: 0 };
        delta.reserved += request.guests.length;
        if (request.hold) delta.held += request.guests.length;
        deltas.set(date, delta);
      }
    }
    await this.capacity.addToNights(manager, [...deltas.values()]);
  }

  private newBooking(request: AdmissionRequest): NewBooking {
    return {
      id: randomUUID(),
      agencyId: request.agencyId,
      status: request.hold ? 'held' : 'confirmed',
      checkIn: request.checkIn,
      checkOut: request.checkOut,
      guests: request.guests,
      holdExpiresAt: request.holdExpiresAt,
      outboundFlightId: request.outboundFlightId,
      returnFlightId: request.returnFlightId,
      createdByKeyId: request.createdByKeyId,
    };
  }

  /** Stores the answers of the given keyed requests with their keys, in the same transaction as the bookings. */
  private async saveResponses(
    manager: EntityManager,
    requests: AdmissionRequest[],
    outcomes: (AdmissionOutcome | undefined)[],
    indexes: number[],
  ): Promise<void> {
    const responses = indexes.flatMap((index) => {
      const request = requests[index];
      const outcome = outcomes[index];
      if (!request.idempotency || !outcome || outcome.kind === 'replayed') return [];
      const { status, body } =
        outcome.kind === 'created' ? this.answers.created(outcome.booking) : this.answers.createRefused(outcome.error);
      return [{ agencyId: request.agencyId, key: request.idempotency.key, status, body }];
    });
    await this.bookings.saveIdempotentResponses(manager, responses);
  }

  private async replay(request: AdmissionRequest): Promise<AdmissionOutcome> {
    const idempotency = request.idempotency as NonNullable<AdmissionRequest['idempotency']>;
    const record = await this.bookings.findIdempotencyRecord(request.agencyId, idempotency.key);
    if (!record || record.responseStatus === null) {
      // The key's first use is still being written elsewhere (cannot happen once it committed).
      return { kind: 'refused', error: new IdempotencyKeyInFlight() };
    }
    if (record.requestHash !== idempotency.requestHash) {
      return { kind: 'refused', error: new IdempotencyKeyReused('This Idempotency-Key was first used with a different request body') };
    }
    return { kind: 'replayed', answer: { status: record.responseStatus, body: record.responseBody } };
  }

  private async ensureNightRows(requests: AdmissionRequest[]): Promise<void> {
    const missing = [...new Set(requests.flatMap((request) => request.nights))].filter((date) => !this.knownNights.get(date));
    if (missing.length === 0) return;
    await this.capacity.ensureNights(missing, this.config.RESORT_CAPACITY);
    for (const date of missing) this.knownNights.set(date, true);
  }
}

/** An agency's guests in live holds, this batch's admitted holds included as they are decided. */
interface HoldRoom {
  held: number;
}

/** The flights the requests at these indexes book seats on. */
function flightIdsOf(requests: AdmissionRequest[], indexes: number[]): string[] {
  return indexes.flatMap((index) => segmentsOf(requests[index]).map((segment) => segment.flightId));
}

/** The flights a request books seats on, with the leg each is for. */
function segmentsOf(request: AdmissionRequest): { segment: FlightSegment; flightId: string }[] {
  return [
    ...(request.outboundFlightId ? [{ segment: 'outbound' as const, flightId: request.outboundFlightId }] : []),
    ...(request.returnFlightId ? [{ segment: 'return' as const, flightId: request.returnFlightId }] : []),
  ];
}

class IdempotencyKeyInFlight extends DomainError {
  readonly code = 'idempotency_key_in_flight';
  readonly status = 409;
  readonly title = 'A request with this Idempotency-Key is still being processed';
  constructor() {
    super('Retry shortly to get its response');
  }
}
