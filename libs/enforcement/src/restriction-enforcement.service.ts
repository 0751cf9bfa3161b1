import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditChanges, AuditService, NewAuditEvent, systemOrigin } from '#libs/audit';
import { BookingCancellation, ChunkCursor, GuestRemoval, IdRange } from '#libs/bookings';
import { AppConfig } from '#libs/config';
import { jobIds, JobQueue, UrgentWork } from '#libs/jobs';
import { Metrics } from '#libs/observability';
import { coveredGuestsPath, keptGuestsPath, RestrictionRow, RestrictionsService, RestrictionTarget, termsOf } from '#libs/restrictions';
import { Clock } from '#libs/shared';

/**
 * Bookings cancelled per transaction. 20,000 bookings take ten transactions (five per lane):
 * with 1,000 the ban benchmark took 1.8–2.4 s, with 2,000 1.0–1.5 s (alternating runs), the
 * commits being much of the cost. The nights, which admissions wait for, are locked only at the
 * end of a chunk (see `BookingCancellation.cancelLocked`), so a bigger chunk does not hold them
 * longer; it holds its booking rows longer, which only a change to one of those bookings waits for.
 */
export const ENFORCEMENT_CHUNK_SIZE = 2000;
/**
 * Two lanes: halves of the uuid space. Side by side they keep two cores busy (Postgres writing
 * one chunk while the worker prepares the next), which is what brings 20,000 cancellations
 * within the 2 s target; a ban larger than ENFORCEMENT_PARALLEL_MAX_BOOKINGS runs them one after
 * the other instead, so that admissions keep a core for the minutes it takes (see `runLanes`).
 */
export const ENFORCEMENT_LANES: Omit<IdRange, 'after'>[] = [
  { from: '00000000-0000-0000-0000-000000000000', below: '80000000-0000-0000-0000-000000000000' },
  { from: '80000000-0000-0000-0000-000000000000', below: null },
];
/**
 * A trigger that fires this little before effectiveFrom waits instead of re-scheduling: the job is
 * scheduled a few hundred milliseconds early on purpose (see `RestrictionsService.scheduleEnforcement`),
 * and the clocks of the API and the worker may differ a little.
 */
const MAX_EARLY_WAIT_MS = 5_000;
/** Restrictions the reconciler re-triggers per sweep. */
const RECONCILE_BATCH = 100;

type StopReason = 'not_found' | 'lifted' | 'already_completed';

/** What a run (or a lane, or a chunk) did: bookings cancelled, and bookings whose covered guests it removed. */
interface Progress {
  cancelled: number;
  reduced: number;
}

/** What a lane did, and why it stopped early if it did (the restriction gone, lifted, or completed by another run). */
type LaneOutcome = Progress & { stopped?: StopReason };

export type EnforcementOutcome =
  ({ outcome: 'completed' } & Progress) | { outcome: 'not_due'; remainingMs: number } | { outcome: 'skipped'; reason: StopReason };

/**
 * Enforces restrictions when they take effect: every live booking with a covered guest whose
 * check-in is in the window is cancelled, or, when its agency's party policy says so and the
 * party keeps an adult, loses its covered guests (`partyOutcome`), a chunk per transaction,
 * through `BookingCancellation` (capacity and seats released and the agency's notification
 * written in the same transaction). Under the policy `ask` the reduced booking also gets a
 * decision deadline, whose delayed job is enqueued once the chunk has committed.
 *
 * Idempotent and restartable: each chunk locks its bookings, so two runs of the same
 * restriction (a retried job, a re-trigger by the reconciler) never cancel one twice; a booking
 * already cancelled is neither cancelled nor notified again; progress counters move in the
 * chunk's own transaction, so they are exactly what has been committed. Postgres holds the
 * state; the job is only the trigger.
 */
@Injectable()
export class RestrictionEnforcementService {
  private readonly logger = new Logger(RestrictionEnforcementService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly restrictions: RestrictionsService,
    private readonly cancellation: BookingCancellation,
    private readonly jobs: JobQueue,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
    private readonly urgentWork: UrgentWork,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  /** Handles `enforce-restriction`. */
  async enforce(restrictionId: string): Promise<EnforcementOutcome> {
    const runStartedAt = performance.now(); // for the duration metric only: monotonic, not the domain's clock
    const started = await this.start(restrictionId);
    if (started.outcome === 'not_due') {
      if (started.remainingMs <= MAX_EARLY_WAIT_MS) {
        await sleep(started.remainingMs);
        return this.enforce(restrictionId);
      }
      // A trigger far too early: come back when it is due (the reconciler would find it too).
      await this.jobs.add(
        'enforce-restriction',
        { restrictionId },
        { jobId: `${jobIds.enforceRestriction(restrictionId)}-${this.clock.now().getTime()}`, delay: started.remainingMs },
      );
      return started;
    }
    if (started.outcome === 'skipped') return started;

    const parallel = started.stillAffected <= this.config.ENFORCEMENT_PARALLEL_MAX_BOOKINGS;
    this.logger.log(
      `restriction ${restrictionId}: enforcing on ${started.stillAffected} bookings, lanes ${parallel ? 'side by side' : 'one after the other'}`,
    );
    // Urgent: webhook deliveries (this worker's at once, the others' within a second) go at a trickle until the cancellations are done (see UrgentWork).
    const lanes = await this.urgentWork.run(() => this.runLanes(restrictionId, parallel));
    const cancelled = lanes.reduce((sum, lane) => sum + lane.cancelled, 0);
    const reduced = lanes.reduce((sum, lane) => sum + lane.reduced, 0);
    const stopped = lanes.find((lane) => lane.stopped)?.stopped;
    if (stopped) {
      this.logger.log(
        `restriction ${restrictionId}: enforcement stopped (${stopped}) after ${cancelled} cancellations and ${reduced} reductions in this run`,
      );
      return { outcome: 'skipped', reason: stopped };
    }
    const restriction = await this.dataSource.transaction(async (manager) => {
      const completed = await this.restrictions.markEnforcementCompleted(manager, restrictionId);
      if (completed) {
        await this.audit.record(manager, [
          lifecycleEvent('restriction.enforcement_completed', restrictionId, {
            enforcementState: { from: 'running', to: 'completed' },
            cancelledBookings: { from: null, to: completed.cancelledBookings },
            reducedBookings: { from: null, to: completed.reducedBookings },
          }),
        ]);
      }
      return completed;
    });
    // Ended meanwhile by a lift (which completes a running enforcement) or by another run.
    if (!restriction) return { outcome: 'skipped', reason: 'already_completed' };
    this.metrics.restrictionEnforcementDuration.observe((performance.now() - runStartedAt) / 1000);
    const lagSeconds =
      (new Date(restriction.enforcementCompletedAt as Date).getTime() - new Date(restriction.effectiveFrom).getTime()) / 1000;
    this.metrics.restrictionEnforcementLag.observe(Math.max(lagSeconds, 0));
    this.logger.log(
      `restriction ${restrictionId}: enforcement completed, of ${restriction.affectedBookings} affected bookings ${restriction.cancelledBookings} cancelled and ${restriction.reducedBookings} reduced (${cancelled} and ${reduced} in this run)`,
    );
    return { outcome: 'completed', cancelled, reduced };
  }

  /** Handles `reconcile-restrictions`: re-triggers every due enforcement that has not completed. */
  async reconcile(): Promise<number> {
    const due = await this.restrictions.dueForEnforcement(RECONCILE_BATCH);
    for (const restrictionId of due) {
      await this.jobs.retrigger('enforce-restriction', { restrictionId }, jobIds.enforceRestriction(restrictionId));
    }
    if (due.length > 0) this.logger.log(`reconciler re-triggered enforcement of ${due.length} restriction(s)`);
    return due.length;
  }

  /**
   * The id space is split into lanes (each walked by check-in, a chunk per transaction). Chunks
   * of different lanes lock disjoint bookings and meet only briefly on the nights, so the lanes
   * may run side by side; that takes both cores of a small machine, and their nights' locks
   * twice as often, which other agencies' admissions wait for. A small ban does it and is over in seconds; a larger one
   * (`parallel` false) runs the lanes in turn: a third to a half slower, while admissions keep
   * more of their rate (BENCHMARKS.md). Either way each lane is idempotent and restartable on its own.
   * allSettled: when a lane fails (e.g. a deadlock), the other runs to its end before the job
   * fails and is retried, so the retry does not overlap a lane still running.
   */
  private async runLanes(restrictionId: string, parallel: boolean): Promise<LaneOutcome[]> {
    if (!parallel) {
      const lanes: LaneOutcome[] = [];
      for (const range of ENFORCEMENT_LANES) {
        const lane = await this.enforceLane(restrictionId, range);
        lanes.push(lane);
        if (lane.stopped) break;
      }
      return lanes;
    }
    const settled = await Promise.allSettled(ENFORCEMENT_LANES.map((range) => this.enforceLane(restrictionId, range)));
    const failure = settled.find((lane): lane is PromiseRejectedResult => lane.status === 'rejected');
    if (failure) throw failure.reason;
    return settled.map((lane) => (lane as PromiseFulfilledResult<LaneOutcome>).value);
  }

  /** Moves a due restriction to `running`, counting what it affects (once; a restart keeps the first count). */
  private async start(
    restrictionId: string,
  ): Promise<Exclude<EnforcementOutcome, { outcome: 'completed' }> | { outcome: 'running'; stillAffected: number }> {
    return this.dataSource.transaction(async (manager) => {
      const restriction = await this.restrictions.lockById(manager, restrictionId);
      if (!restriction) return { outcome: 'skipped', reason: 'not_found' };
      if (restriction.liftedAt) return { outcome: 'skipped', reason: 'lifted' };
      if (restriction.enforcementState === 'completed') return { outcome: 'skipped', reason: 'already_completed' };
      const remainingMs = new Date(restriction.effectiveFrom).getTime() - this.clock.now().getTime();
      if (remainingMs > 0) return { outcome: 'not_due', remainingMs };
      const stillAffected = await this.cancellation.countAffectedByRestriction(manager, targetOf(restriction));
      const running = await this.restrictions.markEnforcementRunning(manager, restrictionId, stillAffected);
      if (restriction.enforcementState === 'pending') {
        await this.audit.record(manager, [
          lifecycleEvent('restriction.enforcement_started', restrictionId, {
            enforcementState: { from: 'pending', to: 'running' },
            affectedBookings: { from: null, to: running.affectedBookings },
          }),
        ]);
      }
      if (restriction.enforcementState === 'running')
        this.logger.log(`restriction ${restrictionId}: resuming enforcement, ${stillAffected} bookings left`);
      return { outcome: 'running', stillAffected };
    });
  }

  /** Enforces, chunk after chunk, on every affected booking whose id is in `range`. */
  private async enforceLane(restrictionId: string, range: Omit<IdRange, 'after'>): Promise<LaneOutcome> {
    let after: ChunkCursor | null = null;
    const progress: Progress = { cancelled: 0, reduced: 0 };
    for (;;) {
      const chunk = await this.enforceNextChunk(restrictionId, { ...range, after });
      progress.cancelled += chunk.cancelled;
      progress.reduced += chunk.reduced;
      this.metrics.restrictionEnforcementCancellations.inc(chunk.cancelled);
      this.metrics.restrictionEnforcementReductions.inc(chunk.reduced);
      await this.scheduleDecisionDeadlines(restrictionId, chunk.decisions);
      if (chunk.stopped) return { ...progress, stopped: chunk.stopped };
      if (chunk.last === null) return progress;
      after = chunk.last;
    }
  }

  /**
   * One chunk, one transaction: the next bookings by check-in locked, each cancelled or reduced
   * as its outcome says, with nights and seats released and notifications written, and the progress
   * counters moved, which is also the last check that the restriction has not been lifted (else
   * the chunk is rolled back). `last` is null when the range has nothing left; `decisions`
   * are the reduced bookings now waiting for their agency's decision, with its deadline.
   */
  private async enforceNextChunk(
    restrictionId: string,
    range: IdRange,
  ): Promise<Progress & { last: ChunkCursor | null; decisions: { bookingId: string; deadline: Date }[]; stopped?: StopReason }> {
    const nothing = { cancelled: 0, reduced: 0, last: null, decisions: [] };
    try {
      return await this.cancellation.transaction(async (manager) => {
        const restriction = await this.restrictions.findById(restrictionId, manager);
        if (!restriction) return { ...nothing, stopped: 'not_found' as const };
        if (restriction.liftedAt) return { ...nothing, stopped: 'lifted' as const };
        if (restriction.enforcementState === 'completed') return { ...nothing, stopped: 'already_completed' as const };
        const target = targetOf(restriction);
        const { locked, last } = await this.cancellation.lockNextAffectedByRestriction(manager, target, range, ENFORCEMENT_CHUNK_SIZE);
        const deadline = new Date(this.clock.now().getTime() + this.config.PARTY_DECISION_HOURS * 3_600_000);
        const removal: GuestRemoval = {
          restrictionId,
          keptGuestsPath: keptGuestsPath(target.coverage),
          removedGuestsPath: coveredGuestsPath(target.coverage),
        };
        const { cancelled, reduced } = await this.cancellation.enforceLocked(
          manager,
          {
            cancel: locked.filter((booking) => booking.outcome === 'cancel'),
            reduce: locked
              .filter((booking) => booking.outcome === 'reduce')
              .map((booking) => ({ id: booking.id, status: booking.status, deadline: booking.partyPolicy === 'ask' ? deadline : null })),
          },
          removal,
        );
        const progress = { cancelled, reduced: reduced.length };
        if (
          progress.cancelled + progress.reduced > 0 &&
          !(await this.restrictions.addEnforcementProgressUnlessLifted(manager, restrictionId, progress))
        ) {
          throw new LiftedDuringChunk();
        }
        const decisions = reduced
          .filter((booking) => booking.actionRequiredRestrictionId === restrictionId && booking.actionRequiredDeadline)
          .map((booking) => ({ bookingId: booking.id, deadline: new Date(booking.actionRequiredDeadline as Date) }));
        return { ...progress, last, decisions };
      });
    } catch (error) {
      if (error instanceof LiftedDuringChunk) return { ...nothing, stopped: 'lifted' };
      throw error;
    }
  }

  /**
   * The delayed triggers of the decision deadlines, after the chunk committed. Best effort: the
   * sweep (`sweep-party-decisions`) finds an overdue decision in Postgres if its job is lost.
   */
  private async scheduleDecisionDeadlines(restrictionId: string, decisions: { bookingId: string; deadline: Date }[]): Promise<void> {
    const now = this.clock.now().getTime();
    await this.jobs.addManyBestEffort(
      'expire-party-decision',
      decisions.map((decision) => ({
        payload: { bookingId: decision.bookingId },
        options: { jobId: jobIds.partyDecision(decision.bookingId, restrictionId), delay: Math.max(decision.deadline.getTime() - now, 0) },
      })),
    );
  }
}

/** Rolls a chunk back: the restriction was lifted while the chunk was cancelling. */
class LiftedDuringChunk extends Error {}

/**
 * The restriction's own lifecycle, done by the system. Its cause names no id: the entity is the
 * restriction itself, and `causeId=<restriction>` lists what it did to bookings, one event each.
 */
function lifecycleEvent(
  action: 'restriction.enforcement_started' | 'restriction.enforcement_completed',
  restrictionId: string,
  changes: AuditChanges,
): NewAuditEvent {
  return { action, entityType: 'restriction', entityId: restrictionId, origin: systemOrigin({ type: 'restriction' }), changes };
}

function targetOf(restriction: RestrictionRow): RestrictionTarget {
  const terms = termsOf(restriction);
  return { coverage: terms.coverage, window: terms.window };
}
