import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { JobsOptions, Queue } from 'bullmq';
import { AppConfig } from '#libs/config';
import { JOB_QUEUE, JobName, JobPayloads, QUEUES, QueueName } from './job-catalogue';
import { bullMqConnection, queuePrefix } from './redis-connection';

/**
 * The one way services enqueue work. A failed enqueue never fails the caller's change:
 * the change is already committed in Postgres and a periodic sweep finds due work again.
 */
@Injectable()
export class JobQueue implements OnApplicationShutdown {
  private readonly logger = new Logger(JobQueue.name);
  private readonly queues = new Map<QueueName, Queue>();
  private connection?: ReturnType<typeof bullMqConnection>;

  constructor(private readonly config: AppConfig) {}

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      // The same settings for every queue (on a cluster, one cluster client they share).
      this.connection ??= bullMqConnection(this.config, { failFast: true });
      queue = new Queue(name, {
        connection: this.connection.connection,
        prefix: queuePrefix(this.config, name),
        defaultJobOptions: { removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } },
      });
      queue.on('error', (error) => this.logger.warn(`queue ${name}: ${error.message}`));
      this.queues.set(name, queue);
    }
    return queue;
  }

  allQueues(): Queue[] {
    return Object.values(QUEUES).map((name) => this.queue(name));
  }

  async add<N extends JobName>(name: N, payload: JobPayloads[N], options: JobsOptions = {}): Promise<void> {
    await this.queue(JOB_QUEUE[name]).add(name, payload, { attempts: 5, backoff: { type: 'exponential', delay: 1_000 }, ...options });
  }

  /** Enqueues, logging instead of throwing: for triggers whose work a sweep would find anyway. */
  async addBestEffort<N extends JobName>(name: N, payload: JobPayloads[N], options: JobsOptions = {}): Promise<void> {
    try {
      await this.add(name, payload, options);
    } catch (error) {
      this.logger.warn(
        `could not enqueue ${name} (${options.jobId ?? ''}); the periodic sweep will pick it up: ${(error as Error).message}`,
      );
    }
  }

  /** Enqueues many jobs of one name in one round trip, logging instead of throwing (as `addBestEffort`). */
  async addManyBestEffort<N extends JobName>(name: N, jobs: { payload: JobPayloads[N]; options: JobsOptions }[]): Promise<void> {
    if (jobs.length === 0) return;
    try {
      await this.queue(JOB_QUEUE[name]).addBulk(
        jobs.map((job) => ({
          name,
          data: job.payload,
          opts: { attempts: 5, backoff: { type: 'exponential', delay: 1_000 }, ...job.options },
        })),
      );
    } catch (error) {
      this.logger.warn(
        `could not enqueue ${jobs.length} ${name} job(s); the periodic sweep will pick them up: ${(error as Error).message}`,
      );
    }
  }

  /**
   * Enqueues `name` under a deterministic `jobId` even if a finished job with that id is still
   * kept (BullMQ would silently ignore the add): for re-triggering work that Postgres says is
   * not done. A job still waiting, delayed or active is left alone; an active one whose worker
   * died is moved back to waiting by BullMQ's stalled-job check.
   */
  async retrigger<N extends JobName>(name: N, payload: JobPayloads[N], jobId: string): Promise<void> {
    const queue = this.queue(JOB_QUEUE[name]);
    const existing = await queue.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return;
      await existing
        .remove()
        .catch((error: unknown) => this.logger.warn(`could not remove finished job ${jobId}: ${(error as Error).message}`));
    }
    await this.add(name, payload, { jobId });
  }

  /**
   * Closes the queues only once the HTTP server has stopped and its requests have finished (Nest
   * runs onModuleDestroy before that): a request still in flight then enqueues as usual instead of
   * failing on a closed connection.
   */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close().catch(() => undefined)));
    this.connection?.close();
  }
}
