import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessRepository } from './access.repository';
import { AgenciesController } from './agencies.controller';
import { AgenciesService } from './agencies.service';
import { Agency } from './agency.entity';
import { ApiKey } from './api-key.entity';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysService } from './api-keys.service';

/** Agencies, API keys and who-may-do-what. Used by the worker too (without the guard and controller). */
@Module({
  imports: [TypeOrmModule.forFeature([Agency, ApiKey])],
  providers: [AccessRepository, AgenciesService, ApiKeysService],
  exports: [AccessRepository, AgenciesService, ApiKeysService],
})
export class AccessModule {}

/** The HTTP side: controllers and the global API-key guard. */
@Module({
  imports: [AccessModule],
  controllers: [AgenciesController],
  providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }],
})
export class AccessHttpModule {}
