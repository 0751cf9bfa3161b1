import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AccessModule } from '#libs/access';
import { BookingsModule } from '#libs/bookings';
import { AppConfig, ConfigModule } from '#libs/config';
import { DatabaseModule } from '#libs/database';
import { DisruptionsModule } from '#libs/disruptions';
import { EnforcementModule } from '#libs/enforcement';
import { JobsModule, QUEUES, queuePrefix } from '#libs/jobs';
import { WebhooksModule } from '#libs/notifications';
import { LoggingModule, ObservabilityModule } from '#libs/observability';
import { RestrictionsModule } from '#libs/restrictions';
import { ClockModule } from '#libs/shared';
import { PeriodicJobs } from './periodic-jobs';
import { BookingsProcessor } from './processors/bookings.processor';
import { DisruptionsProcessor } from './processors/disruptions.processor';
import { MaintenanceProcessor } from './processors/maintenance.processor';
import { RestrictionsProcessor } from './processors/restrictions.processor';
import { WebhooksProcessor } from './processors/webhooks.processor';
import { WorkerMetricsServer } from './worker-metrics-server';
import { RegisteredQueueErrorLog } from './connection-error-log';
import { WorkerRedisConnection, WorkerRedisConnectionModule, WorkerRedisShutdown } from './worker-redis-connection';

/** The worker: the same domain modules as the API, no HTTP, BullMQ processors instead. */
@Module({
  imports: [
    ConfigModule,
    ClockModule,
    LoggingModule.forRoot('worker'),
    DatabaseModule,
    JobsModule,
    ObservabilityModule,
    WorkerRedisConnectionModule,
    BullModule.forRootAsync({
      imports: [WorkerRedisConnectionModule],
      inject: [WorkerRedisConnection],
      useFactory: (redis: WorkerRedisConnection) => ({ connection: redis.bullMq.connection }),
    }),
    // Each queue's prefix (hash-tagged on a cluster), used by its processor's worker too.
    ...Object.values(QUEUES).map((name) =>
      BullModule.registerQueueAsync({
        name,
        inject: [AppConfig],
        useFactory: (config: AppConfig) => ({ prefix: queuePrefix(config, name) }),
      }),
    ),
    AccessModule,
    BookingsModule,
    EnforcementModule,
    RestrictionsModule,
    DisruptionsModule,
    WebhooksModule,
  ],
  providers: [
    BookingsProcessor,
    DisruptionsProcessor,
    MaintenanceProcessor,
    PeriodicJobs,
    RegisteredQueueErrorLog,
    RestrictionsProcessor,
    WebhooksProcessor,
    WorkerMetricsServer,
    WorkerRedisShutdown,
  ],
})
export class WorkerModule {}
