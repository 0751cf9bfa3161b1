import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { HoldExpiryService } from '#libs/bookings';
import { QUEUES } from '#libs/jobs';

@Processor(QUEUES.maintenance, { concurrency: 1 })
export class MaintenanceProcessor extends WorkerHost {
  constructor(private readonly holds: HoldExpiryService) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case 'sweep-expired-holds':
        return this.holds.sweepExpiredHolds();
      default:
        throw new Error(`no handler for job ${job.name} on queue ${QUEUES.maintenance}`);
    }
  }
}
