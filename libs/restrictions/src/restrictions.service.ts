import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Principal } from '#libs/access';
import { AuditOrigin, AuditService } from '#libs/audit';
import { AppConfig } from '#libs/config';
import { jobIds, JobQueue } from '#libs/jobs';
import { Clock, decodeTimestampCursor, pageOf, FieldProblem, InvalidState, NotFound, Page, ValidationFailed } from '#libs/shared';
import { CreateRestrictionDto } from './dto/restriction.dto';
import { RestrictionRow } from './restriction-row';
import { Coverage, statusOf, windowOf } from './restriction-rules';
import { NewRestriction, RestrictionImpact, RestrictionListFilter, RestrictionsRepository, termsOf } from './restrictions.repository';

/**
 * How long before effectiveFrom a ban's enforcement job fires; the enforcement then waits for
 * effectiveFrom itself (it never cancels before it, and waits at most a few seconds).
 */
const ENFORCEMENT_EARLY_TRIGGER_MS = 300;

/**
 * Applying, previewing, listing and lifting nationality restrictions. Enforcement (cancelling
 * the bookings) runs in the worker (`libs/enforcement`); this service only schedules it.
 */
@Injectable()
export class RestrictionsService {
  private readonly logger = new Logger(RestrictionsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: RestrictionsRepository,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  async create(principal: Principal, body: CreateRestrictionDto, origin: AuditOrigin): Promise<RestrictionRow> {
    const terms = this.validatedTerms(body, principal.keyId);
    const restriction = await this.dataSource.transaction(async (manager) => {
      // Exclusive: waits for admission transactions in flight, and holds new ones back until
      // this row is committed (see RESTRICTIONS_ADVISORY_LOCK).
      await this.repository.lockExclusively(manager);
      const inserted = await this.repository.insert(manager, terms);
      const created = (field: string, to: unknown) => (to === null || to === undefined ? {} : { [field]: { from: null, to } });
      await this.audit.record(manager, [
        {
          action: 'restriction.created',
          entityType: 'restriction',
          entityId: inserted.id,
          origin,
          changes: {
            ...created('nationalities', inserted.nationalities),
            ...created('allForeign', inserted.allForeign),
            ...(inserted.allForeign ? created('except', inserted.exceptNationalities) : {}),
            ...created('effectiveFrom', new Date(inserted.effectiveFrom).toISOString()),
            ...created('effectiveUntil', inserted.effectiveUntil ? new Date(inserted.effectiveUntil).toISOString() : null),
            ...created('reason', inserted.reason),
          },
        },
      ]);
      return inserted;
    });
    this.logger.log(`restriction ${restriction.id} applied, effective from ${restriction.effectiveFrom.toISOString()}`);
    await this.scheduleEnforcement(restriction);
    return restriction;
  }

  async preview(body: CreateRestrictionDto): Promise<RestrictionImpact> {
    const terms = this.validatedTerms(body, null);
    return this.repository.impact({ coverage: terms.coverage, window: terms.window });
  }

  /**
   * Handles `fold-party-counts`: folds what bookings' triggers appended to the preview's counts
   * into one total per key, one transaction. The previews read the same sums before and after;
   * folding only keeps the rows they read few, whatever the booking traffic.
   */
  async foldPartyCounts(): Promise<number> {
    return this.dataSource.transaction((manager) => this.repository.foldPartyCounts(manager));
  }

  async get(id: string): Promise<RestrictionRow> {
    const restriction = await this.repository.findById(id);
    if (!restriction) throw new NotFound('Restriction', id);
    return restriction;
  }

  async list(filter: RestrictionListFilter, limit: number, cursor?: string): Promise<Page<RestrictionRow>> {
    const before = cursor ? decodeTimestampCursor('restrictions', cursor, 'createdAt') : undefined;
    const rows = await this.repository.list(filter, limit + 1, before);
    return pageOf(rows, limit, 'restrictions', (row) => ({ createdAt: row.cursorCreatedAt, id: row.id }));
  }

  /**
   * Lifts a restriction: new bookings are accepted again at once. Before it took effect nothing
   * has been cancelled and nothing will be; after, bookings already cancelled stay cancelled and
   * an enforcement still running stops: a chunk in flight that has not yet recorded its
   * progress finds the restriction lifted when it does, and rolls back.
   */
  async lift(principal: Principal, id: string, origin: AuditOrigin): Promise<RestrictionRow> {
    return this.dataSource.transaction(async (manager) => {
      const restriction = await this.repository.lockById(manager, id);
      if (!restriction) throw new NotFound('Restriction', id);
      const status = statusOf(termsOf(restriction), this.clock.now());
      if (status === 'lifted')
        throw new InvalidState(`Restriction ${id} was already lifted at ${new Date(restriction.liftedAt as Date).toISOString()}`);
      if (status === 'expired')
        throw new InvalidState(`Restriction ${id} expired at ${new Date(restriction.effectiveUntil as Date).toISOString()}`);
      const lifted = await this.repository.markLifted(manager, id, principal.keyId);
      await this.audit.record(manager, [
        {
          action: 'restriction.lifted',
          entityType: 'restriction',
          entityId: id,
          origin,
          changes: {
            liftedAt: { from: null, to: new Date(lifted.liftedAt as Date).toISOString() },
            ...(restriction.enforcementState !== lifted.enforcementState
              ? { enforcementState: { from: restriction.enforcementState, to: lifted.enforcementState } }
              : {}),
          },
        },
        // A lift ends an enforcement under way: that is its completion, by this request.
        ...(restriction.enforcementState === 'running'
          ? [
              {
                action: 'restriction.enforcement_completed' as const,
                entityType: 'restriction' as const,
                entityId: id,
                origin,
                changes: { enforcementState: { from: 'running', to: 'completed' } },
              },
            ]
          : []),
      ]);
      return lifted;
    });
  }

  /**
   * The delayed trigger of enforcement. Best effort: if Redis is unreachable, the periodic
   * reconciler finds the due restriction in Postgres and starts it. It fires a little early
   * (`ENFORCEMENT_EARLY_TRIGGER_MS`) and the enforcement waits for effectiveFrom on its own
   * clock: a delayed job is picked up tens of milliseconds after its time, a timer within one.
   */
  private async scheduleEnforcement(restriction: RestrictionRow): Promise<void> {
    const delay = Math.max(new Date(restriction.effectiveFrom).getTime() - this.clock.now().getTime() - ENFORCEMENT_EARLY_TRIGGER_MS, 0);
    await this.jobs.addBestEffort(
      'enforce-restriction',
      { restrictionId: restriction.id },
      { jobId: jobIds.enforceRestriction(restriction.id), delay },
    );
  }

  /** The rules of the body that span fields or need the clock and configuration. */
  private validatedTerms(body: CreateRestrictionDto, appliedByKeyId: string | null): NewRestriction {
    const problems: FieldProblem[] = [];
    const allForeign = body.allForeign === true;
    if (allForeign && body.nationalities !== undefined) {
      problems.push({ field: 'nationalities', message: 'give either nationalities or allForeign: true, not both' });
    }
    if (!allForeign && body.nationalities === undefined) {
      problems.push({ field: 'nationalities', message: 'required unless allForeign is true' });
    }
    if (!allForeign && body.except !== undefined) problems.push({ field: 'except', message: 'only allowed with allForeign: true' });

    const effectiveFrom = new Date(body.effectiveFrom);
    const effectiveUntil = body.effectiveUntil === undefined ? null : new Date(body.effectiveUntil);
    const window = windowOf(effectiveFrom, effectiveUntil, this.config.RESORT_TIMEZONE);
    if (effectiveUntil) {
      if (effectiveUntil <= effectiveFrom) problems.push({ field: 'effectiveUntil', message: 'must be after effectiveFrom' });
      else if (effectiveUntil <= this.clock.now()) problems.push({ field: 'effectiveUntil', message: 'must be in the future' });
      else if (window.to !== null && window.to <= window.from) {
        problems.push({
          field: 'effectiveUntil',
          message: `must fall on a later resort-local date than effectiveFrom (${window.from}): the window covers check-in dates from the date of effectiveFrom up to, not including, that of effectiveUntil`,
        });
      }
    }
    if (problems.length > 0) throw new ValidationFailed(problems);

    const homeCountry = this.config.RESORT_HOME_COUNTRY;
    const distinct = (codes: string[]): string[] => [...new Set(codes)].sort();
    const coverage: Coverage = allForeign
      ? { allForeign: true, homeCountry, except: distinct(body.except ?? []) }
      : { allForeign: false, nationalities: distinct(body.nationalities ?? []) };
    return { coverage, homeCountry, effectiveFrom, effectiveUntil, window, reason: body.reason.trim(), appliedByKeyId };
  }

  // --- enforcement progress (libs/enforcement), in the caller's transaction ---------------------

  /** Reads one restriction, inside the caller's transaction when given one; undefined if there is none. */
  async findById(id: string, manager?: EntityManager): Promise<RestrictionRow | undefined> {
    return this.repository.findById(id, manager);
  }

  async lockById(manager: EntityManager, id: string): Promise<RestrictionRow | undefined> {
    return this.repository.lockById(manager, id);
  }

  /** Marks enforcement running; a restart keeps the start time and never lowers the affected count. */
  async markEnforcementRunning(manager: EntityManager, id: string, stillAffected: number): Promise<RestrictionRow> {
    return this.repository.markEnforcementRunning(manager, id, stillAffected);
  }

  /** Adds a chunk's progress unless the restriction was lifted meanwhile (false: roll the chunk back). */
  async addEnforcementProgressUnlessLifted(
    manager: EntityManager,
    id: string,
    progress: { cancelled: number; reduced: number },
  ): Promise<boolean> {
    return this.repository.addEnforcementProgressUnlessLifted(manager, id, progress);
  }

  /** Ends a running enforcement (unless it was lifted meanwhile, which ended it already). */
  async markEnforcementCompleted(manager: EntityManager, id: string): Promise<RestrictionRow | undefined> {
    return this.repository.markEnforcementCompleted(manager, id);
  }

  /** Whether any restriction's enforcement is running, in this worker or another. */
  async anyEnforcementRunning(): Promise<boolean> {
    return this.repository.anyEnforcementRunning();
  }

  /** Restrictions in effect whose enforcement has not completed. */
  async dueForEnforcement(limit: number): Promise<string[]> {
    return this.repository.dueForEnforcement(limit);
  }
}
