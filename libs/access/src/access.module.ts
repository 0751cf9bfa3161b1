import { Module, OnApplicationBootstrap } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from '#libs/audit';
import { agencyWriteConcurrency, agencyWriteConcurrencyTotal, AppConfig } from '#libs/config';
import { AgencyWriteLimiter } from './agency-write-limit/agency-write-limiter';
import { AccessRepository } from './access.repository';
import { AgenciesController } from './agencies.controller';
import { AgenciesService } from './agencies.service';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysService } from './api-keys.service';
import { KeyRevocationChannel } from './key-revocation-channel';
import { RequestAuthentication } from './request-authentication';

/** Agencies, API keys and who-may-do-what. Used by the worker too (without the guard and controller). */
@Module({
  imports: [AuditModule],
  providers: [AccessRepository, AgenciesService, ApiKeysService, KeyRevocationChannel],
  exports: [AgenciesService, ApiKeysService],
})
export class AccessModule {}

/**
 * The HTTP side: controllers, the global API-key guard, following revocations made by other API
 * processes, and the one per-agency write limiter of the process (for `LimitedPerAgency` routes).
 */
@Module({
  imports: [AccessModule],
  controllers: [AgenciesController],
  // RequestAuthentication needs an AuthFailureLimiter, which the API application provides globally.
  providers: [
    RequestAuthentication,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    {
      provide: AgencyWriteLimiter,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        new AgencyWriteLimiter({
          concurrency: agencyWriteConcurrency(config),
          totalConcurrency: agencyWriteConcurrencyTotal(config),
          maxWaiting: config.AGENCY_WRITE_QUEUE,
          maxWaitMs: config.AGENCY_WRITE_MAX_WAIT_MS,
        }),
    },
  ],
  exports: [RequestAuthentication, AgencyWriteLimiter],
})
export class AccessHttpModule implements OnApplicationBootstrap {
  constructor(private readonly apiKeys: ApiKeysService) {}

  onApplicationBootstrap(): void {
    this.apiKeys.followRevocations();
  }
}
