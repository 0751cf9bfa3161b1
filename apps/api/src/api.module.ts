import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AccessHttpModule } from '#libs/access';
import { AuditModule } from '#libs/audit';
import { BookingsController, BookingsModule, ExposureController } from '#libs/bookings';
import { CapacityController, CapacityModule } from '#libs/capacity';
import { ConfigModule } from '#libs/config';
import { DatabaseModule } from '#libs/database';
import { DisruptionsModule, FlightCancellationController, RouteSuspensionController } from '#libs/disruptions';
import { FlightsController, FlightsModule, RoutesController } from '#libs/flights';
import { JobsModule } from '#libs/jobs';
import { NotificationsController, NotificationsModule, WebhookDeliveriesController } from '#libs/notifications';
import { LoggingModule, ObservabilityModule } from '#libs/observability';
import { RestrictionsController, RestrictionsModule } from '#libs/restrictions';
import { ClockModule } from '#libs/shared';
import { AuditEventsController } from './audit/audit-events.controller';
import { HealthController } from './health/health.controller';
import { RedisHealthIndicator } from './health/redis.health';
import { MetricsController } from './metrics/metrics.controller';
import { RateLimitModule } from './rate-limit/rate-limit.module';

/** The HTTP application: the domain modules of `libs/` plus their controllers. */
@Module({
  imports: [
    ConfigModule,
    ClockModule,
    LoggingModule.forRoot('api'),
    DatabaseModule,
    JobsModule,
    ObservabilityModule,
    // Terminus's own error log would repeat what the problem-details filter logs for the 503.
    TerminusModule.forRoot({ logger: false }),
    AccessHttpModule,
    // After AccessHttpModule: its ApiKeyGuard must run first (limits are per API key).
    RateLimitModule,
    CapacityModule,
    BookingsModule,
    FlightsModule,
    DisruptionsModule,
    NotificationsModule,
    RestrictionsModule,
    AuditModule,
  ],
  controllers: [
    HealthController,
    MetricsController,
    CapacityController,
    ExposureController,
    BookingsController,
    NotificationsController,
    WebhookDeliveriesController,
    RestrictionsController,
    RoutesController,
    RouteSuspensionController,
    FlightsController,
    FlightCancellationController,
    AuditEventsController,
  ],
  providers: [RedisHealthIndicator],
})
export class ApiModule {}
