import { Module } from '@nestjs/common';
import { AuditModule } from '#libs/audit';
import { RestrictionGate } from './restriction-gate';
import { RestrictionsRepository } from './restrictions.repository';
import { RestrictionsService } from './restrictions.service';

/**
 * Nationality restrictions: the rules, the store, the admission gate. Knows nothing of the
 * bookings lib (bookings depends on this one, for the gate); enforcement lives in
 * `libs/enforcement`, which depends on both.
 */
@Module({
  imports: [AuditModule],
  providers: [RestrictionsRepository, RestrictionsService, RestrictionGate],
  exports: [RestrictionsService, RestrictionGate],
})
export class RestrictionsModule {}
