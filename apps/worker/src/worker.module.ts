import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AccessModule } from '#libs/access';
import { BookingsModule } from '#libs/bookings';
import { AppConfig, ConfigModule } from '#libs/config';
import { DatabaseModule } from '#libs/database';
import { DisruptionsModule } from '#libs/disruptions';
import { EnforcementModule } from '#libs/enforcement';
import { JobsModule, QUEUES, redisConnectionOptions } from '#libs/jobs';
import { WebhooksModule } from '#libs/notifications';
import { logSerializers, ObservabilityModule } from '#libs/observability';
import { RestrictionsModule } from '#libs/restrictions';
import { PeriodicJobs } from './periodic-jobs';
import { BookingsProcessor } from './processors/bookings.processor';
import { DisruptionsProcessor } from './processors/disruptions.processor';
import { MaintenanceProcessor } from './processors/maintenance.processor';
import { RestrictionsProcessor } from './processors/restrictions.processor';
import { WebhooksProcessor } from './processors/webhooks.processor';
import { WorkerMetricsServer } from './worker-metrics-server';
import { RegisteredQueueErrorLog } from './connection-error-log';

/** The worker: the same domain modules as the API, no HTTP, BullMQ processors instead. */
@Module({
  imports: [
    ConfigModule,
    LoggerModule.forRootAsync({ inject: [AppConfig], useFactory: (config: AppConfig) => ({ pinoHttp: { level: config.LOG_LEVEL, serializers: logSerializers } }) }),
    DatabaseModule,
    JobsModule,
    ObservabilityModule,
    BullModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        connection: redisConnectionOptions(config.REDIS_URL, { failFast: false }),
        prefix: config.QUEUE_PREFIX,
      }),
    }),
    ...Object.values(QUEUES).map((name) => BullModule.registerQueue({ name })),
    AccessModule,
    BookingsModule,
    EnforcementModule,
    RestrictionsModule,
    DisruptionsModule,
    WebhooksModule,
  ],
  providers: [BookingsProcessor, DisruptionsProcessor, MaintenanceProcessor, PeriodicJobs, RegisteredQueueErrorLog, RestrictionsProcessor, WebhooksProcessor, WorkerMetricsServer],
})
export class WorkerModule {}
