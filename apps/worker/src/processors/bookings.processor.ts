import { Processor } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { HoldExpiryService, PartyDecisionService } from '#libs/bookings';
import { JobPayloads, QUEUES } from '#libs/jobs';
import { QuietWorkerHost } from './quiet-worker-host';

@Processor(QUEUES.bookings, { concurrency: 8 })
export class BookingsProcessor extends QuietWorkerHost {
  constructor(
    private readonly holds: HoldExpiryService,
    private readonly decisions: PartyDecisionService,
  ) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case 'expire-hold':
        return this.holds.expireHold((job.data as JobPayloads['expire-hold']).bookingId);
      case 'expire-party-decision':
        return this.decisions.expireDecision((job.data as JobPayloads['expire-party-decision']).bookingId);
      default:
        throw new Error(`no handler for job ${job.name} on queue ${QUEUES.bookings}`);
    }
  }
}
