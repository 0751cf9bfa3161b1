import { Processor } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { FlightDisruptionService } from '#libs/disruptions';
import { JobPayloads, QUEUES } from '#libs/jobs';
import { QuietWorkerHost } from './quiet-worker-host';

/**
 * Flight disruptions. As for ban enforcement, a short lock (renewed while the job runs) lets
 * another worker take over within seconds when one dies mid-way; the work resumes chunk by chunk.
 */
@Processor(QUEUES.disruptions, { concurrency: 4, lockDuration: 10_000, stalledInterval: 5_000 })
export class DisruptionsProcessor extends QuietWorkerHost {
  constructor(private readonly disruptions: FlightDisruptionService) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case 'disrupt-flight':
        return this.disruptions.disruptFlight((job.data as JobPayloads['disrupt-flight']).flightId, (progress) =>
          job.updateProgress({ ...progress }),
        );
      default:
        throw new Error(`no handler for job ${job.name} on queue ${QUEUES.disruptions}`);
    }
  }
}
