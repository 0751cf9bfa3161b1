import { Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { WorkerHost } from '@nestjs/bullmq';
import { AppConfig } from '#libs/config';
import { bullMqConnection } from '#libs/jobs';
import { BookingsProcessor } from './processors/bookings.processor';
import { DisruptionsProcessor } from './processors/disruptions.processor';
import { MaintenanceProcessor } from './processors/maintenance.processor';
import { RestrictionsProcessor } from './processors/restrictions.processor';
import { WebhooksProcessor } from './processors/webhooks.processor';

/**
 * The BullMQ connection of the worker's queues and processors (see `bullMqConnection`): on a
 * cluster, the one cluster client they share (a BullMQ worker's own commands go through it too;
 * only its blocking connection is a duplicate).
 */
@Injectable()
export class WorkerRedisConnection {
  readonly bullMq: ReturnType<typeof bullMqConnection>;

  constructor(config: AppConfig) {
    this.bullMq = bullMqConnection(config, { failFast: false });
  }
}

@Module({ providers: [WorkerRedisConnection], exports: [WorkerRedisConnection] })
export class WorkerRedisConnectionModule {}

/**
 * Disconnects the shared connection only once every BullMQ worker has closed: a worker finishing
 * its active jobs at SIGTERM still records their results (and schedules the next run of a job
 * scheduler) through it. `Worker.close` is idempotent: Nest's own close of the workers and this
 * one wait for the same thing.
 */
@Injectable()
export class WorkerRedisShutdown implements OnApplicationShutdown {
  private readonly processors: WorkerHost[];

  constructor(
    private readonly redis: WorkerRedisConnection,
    bookings: BookingsProcessor,
    disruptions: DisruptionsProcessor,
    maintenance: MaintenanceProcessor,
    restrictions: RestrictionsProcessor,
    webhooks: WebhooksProcessor,
  ) {
    this.processors = [bookings, disruptions, maintenance, restrictions, webhooks];
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      this.processors.map(async (processor) => {
        try {
          await processor.worker.close();
        } catch {
          // Never started (a boot that failed), or already failing to close: nothing to wait for.
        }
      }),
    );
    this.redis.bullMq.close();
  }
}
