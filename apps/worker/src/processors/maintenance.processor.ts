import { Processor } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { GuestDataRetentionService, HoldExpiryService, PartyDecisionService } from '#libs/bookings';
import { FlightDisruptionService } from '#libs/disruptions';
import { RestrictionEnforcementService } from '#libs/enforcement';
import { QUEUES } from '#libs/jobs';
import { RestrictionsService } from '#libs/restrictions';
import { QuietWorkerHost } from './quiet-worker-host';

@Processor(QUEUES.maintenance, { concurrency: 1 })
export class MaintenanceProcessor extends QuietWorkerHost {
  constructor(
    private readonly holds: HoldExpiryService,
    private readonly decisions: PartyDecisionService,
    private readonly enforcement: RestrictionEnforcementService,
    private readonly disruptions: FlightDisruptionService,
    private readonly retention: GuestDataRetentionService,
    private readonly restrictions: RestrictionsService,
  ) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case 'sweep-expired-holds':
        return this.holds.sweepExpiredHolds();
      case 'sweep-party-decisions':
        return this.decisions.sweepOverdueDecisions();
      case 'reconcile-restrictions':
        return this.enforcement.reconcile();
      case 'reconcile-flight-disruptions':
        return this.disruptions.reconcile();
      case 'apply-data-retention':
        return this.retention.applyRetention();
      case 'fold-party-counts':
        return this.restrictions.foldPartyCounts();
      default:
        throw new Error(`no handler for job ${job.name} on queue ${QUEUES.maintenance}`);
    }
  }
}
