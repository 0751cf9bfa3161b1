import { Processor } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { RestrictionEnforcementService } from '#libs/enforcement';
import { JobPayloads, QUEUES } from '#libs/jobs';
import { QuietWorkerHost } from './quiet-worker-host';

/**
 * Ban enforcement. A short lock (renewed every 5 s while the job runs) so that when a worker dies
 * mid-enforcement, another worker takes the job over within about 15 s; the work it resumes is
 * idempotent chunk by chunk.
 */
@Processor(QUEUES.restrictions, { concurrency: 4, lockDuration: 10_000, stalledInterval: 5_000 })
export class RestrictionsProcessor extends QuietWorkerHost {
  constructor(private readonly enforcement: RestrictionEnforcementService) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case 'enforce-restriction':
        return this.enforcement.enforce((job.data as JobPayloads['enforce-restriction']).restrictionId);
      default:
        throw new Error(`no handler for job ${job.name} on queue ${QUEUES.restrictions}`);
    }
  }
}
