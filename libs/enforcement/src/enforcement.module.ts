import { Module } from '@nestjs/common';
import { AuditModule } from '#libs/audit';
import { BookingsModule } from '#libs/bookings';
import { RestrictionsModule } from '#libs/restrictions';
import { RestrictionEnforcementService } from './restriction-enforcement.service';

/** Ban enforcement: cancels the bookings a restriction affects. Depends on bookings and restrictions; neither depends on it. */
@Module({
  imports: [AuditModule, BookingsModule, RestrictionsModule],
  providers: [RestrictionEnforcementService],
  exports: [RestrictionEnforcementService],
})
export class EnforcementModule {}
