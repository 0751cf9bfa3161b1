import { Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '#libs/config';
import { bullMqConnection } from '#libs/jobs';

/**
 * The BullMQ connection of the worker's queues and processors (see `bullMqConnection`): on a
 * cluster, the one cluster client they share or duplicate, disconnected at shutdown.
 */
@Injectable()
export class WorkerRedisConnection implements OnApplicationShutdown {
  readonly bullMq: ReturnType<typeof bullMqConnection>;

  constructor(config: AppConfig) {
    this.bullMq = bullMqConnection(config, { failFast: false });
  }

  onApplicationShutdown(): void {
    this.bullMq.close();
  }
}

@Module({ providers: [WorkerRedisConnection], exports: [WorkerRedisConnection] })
export class WorkerRedisConnectionModule {}
