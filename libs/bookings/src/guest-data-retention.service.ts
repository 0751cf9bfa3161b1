import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService, systemOrigin } from '#libs/audit';
import { AppConfig } from '#libs/config';
import { NotificationsService } from '#libs/notifications';
import { Metrics } from '#libs/observability';
import { Clock, localDateOf } from '#libs/shared';
import { AnonymisedBooking } from './booking-row';
import { BookingsRepository } from './bookings.repository';

/** Bookings anonymised (and idempotency records deleted) per transaction. */
export const RETENTION_CHUNK_SIZE = 1_000;
/**
 * Chunks of each kind one run handles at most. The maintenance queue runs one job at a time per
 * worker, and the hold and ban sweeps wait behind this one: a backlog (the first run on a large
 * database, a long outage) is worked off over several runs instead of in one long one.
 */
export const RETENTION_CHUNKS_PER_RUN = 20;

export interface RetentionRun {
  anonymisedBookings: number;
  deletedIdempotencyRecords: number;
}

const HOUR_MS = 3_600_000;
const RETENTION = systemOrigin({ type: 'retention' });
const DAY_MS = 24 * HOUR_MS;

/**
 * Erases guests' personal data on schedule (PRODUCT.md "Guest data"): a booking's guests are
 * anonymised GUEST_DATA_RETENTION_DAYS after its check-out or cancellation, whichever is first,
 * and stored Idempotency-Key answers (which contain guests) are deleted after
 * IDEMPOTENCY_RETENTION_HOURS. Run by the periodic `apply-data-retention` job: nothing triggers
 * it per booking, so there is no trigger to lose; every run reads what is due from Postgres, and
 * a run repeated (two workers, a retried job) finds nothing left to do for what is done.
 */
@Injectable()
export class GuestDataRetentionService {
  private readonly logger = new Logger(GuestDataRetentionService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bookings: BookingsRepository,
    private readonly notifications: NotificationsService,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  /** Handles `apply-data-retention`. */
  async applyRetention(): Promise<RetentionRun> {
    const anonymisedBookings = await this.anonymiseDueBookings();
    const deletedIdempotencyRecords = await this.deleteExpiredIdempotencyRecords();
    if (anonymisedBookings > 0 || deletedIdempotencyRecords > 0) {
      this.logger.log(`retention: ${anonymisedBookings} bookings anonymised, ${deletedIdempotencyRecords} idempotency records deleted`);
    }
    return { anonymisedBookings, deletedIdempotencyRecords };
  }

  /**
   * When a booking's guests are due. Its check-out instant is taken as the start of the check-out
   * date in resort time (RESORT_TIMEZONE): a night is a resort-local date and guests leave that
   * morning, and a date is all the booking stores. "The start of check-out date ≤ now − retention"
   * is the same as "check-out date ≤ the resort-local date of now − retention", which is what the
   * query compares (a date against a date, so it uses the check-out index). The retention is
   * counted in 24-hour days (the resort's zone has no daylight saving time).
   */
  dueCutoffs(now: Date): { checkedOutBy: string; cancelledBy: Date } {
    const cutoff = new Date(now.getTime() - this.config.GUEST_DATA_RETENTION_DAYS * DAY_MS);
    return { checkedOutBy: localDateOf(cutoff, this.config.RESORT_TIMEZONE), cancelledBy: cutoff };
  }

  /** Anonymises every due booking, a chunk per transaction (up to RETENTION_CHUNKS_PER_RUN chunks). */
  async anonymiseDueBookings(): Promise<number> {
    // Fixed for the whole run, so that it ends even while bookings keep coming due.
    const due = this.dueCutoffs(this.clock.now());
    let total = 0;
    for (let chunk = 0; chunk < RETENTION_CHUNKS_PER_RUN; chunk++) {
      const { locked, anonymised } = await this.dataSource.transaction(async (manager) => {
        const ids = await this.bookings.lockDueForAnonymisation(manager, due, RETENTION_CHUNK_SIZE);
        return { locked: ids.length, anonymised: await this.anonymiseLocked(manager, ids) };
      });
      // Counted once committed: a chunk rolled back anonymised nothing.
      total += anonymised.length;
      this.metrics.bookingsAnonymised.inc(anonymised.length);
      // A short chunk: nothing more is due, or another worker holds the rest (and anonymises it).
      if (locked < RETENTION_CHUNK_SIZE) break;
    }
    return total;
  }

  /**
   * Anonymises bookings the caller locked, in its transaction, with their `booking.anonymised`
   * audit events (actor system, cause retention): counts and nationalities only.
   */
  private async anonymiseLocked(manager: EntityManager, ids: string[]): Promise<AnonymisedBooking[]> {
    const anonymised = await this.bookings.anonymiseGuests(manager, ids);
    await this.notifications.eraseGuestNames(
      manager,
      anonymised.map((booking) => booking.id),
    );
    await this.audit.record(
      manager,
      anonymised.map((booking) => ({
        action: 'booking.anonymised' as const,
        entityType: 'booking' as const,
        entityId: booking.id,
        origin: RETENTION,
        changes: {
          anonymisedAt: { from: null, to: new Date(booking.anonymisedAt as Date).toISOString() },
          // Names, dates of birth and passport numbers are erased: how many guests had them, not what they were.
          guestsWithPersonalData: { from: booking.guestCount, to: 0 },
        },
      })),
    );
    return anonymised;
  }

  /** Deletes stored Idempotency-Key answers older than IDEMPOTENCY_RETENTION_HOURS, a chunk per transaction. */
  async deleteExpiredIdempotencyRecords(): Promise<number> {
    const createdBefore = new Date(this.clock.now().getTime() - this.config.IDEMPOTENCY_RETENTION_HOURS * HOUR_MS);
    let total = 0;
    for (let chunk = 0; chunk < RETENTION_CHUNKS_PER_RUN; chunk++) {
      const deleted = await this.dataSource.transaction((manager) =>
        this.bookings.deleteIdempotencyRecordsCreatedBefore(manager, createdBefore, RETENTION_CHUNK_SIZE),
      );
      total += deleted;
      this.metrics.idempotencyRecordsDeleted.inc(deleted);
      if (deleted < RETENTION_CHUNK_SIZE) break;
    }
    return total;
  }
}
