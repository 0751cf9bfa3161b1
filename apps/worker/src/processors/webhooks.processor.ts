import { Processor } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { QUEUES } from '#libs/jobs';
import { WebhookDispatcher } from '#libs/notifications';
import { QuietWorkerHost } from './quiet-worker-host';

/**
 * One dispatch round at a time per worker process: a round already keeps WEBHOOK_CONCURRENCY
 * requests in flight. Rounds of several workers run side by side (each claims its own rows).
 */
@Processor(QUEUES.webhooks, { concurrency: 1 })
export class WebhooksProcessor extends QuietWorkerHost {
  constructor(private readonly dispatcher: WebhookDispatcher) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case 'dispatch-webhooks':
        return this.dispatcher.dispatchDue();
      default:
        throw new Error(`no handler for job ${job.name} on queue ${QUEUES.webhooks}`);
    }
  }
}
