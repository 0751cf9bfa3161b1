import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AgencyWriteLimitInterceptor } from './agency-write-limit.interceptor';

/** The per-agency write limit of the HTTP API (see `AgencyWriteLimitInterceptor`). */
@Module({
  providers: [{ provide: APP_INTERCEPTOR, useClass: AgencyWriteLimitInterceptor }],
})
export class AgencyWriteLimitModule {}
