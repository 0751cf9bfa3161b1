import { Module, OnApplicationBootstrap } from '@nestjs/common';
import { AuditModule } from '#libs/audit';
import { BookingsModule } from '#libs/bookings';
import { UrgentWork } from '#libs/jobs';
import { RestrictionsModule, RestrictionsService } from '#libs/restrictions';
import { RestrictionEnforcementService } from './restriction-enforcement.service';

/** Ban enforcement: cancels the bookings a restriction affects. Depends on bookings and restrictions; neither depends on it. */
@Module({
  imports: [AuditModule, BookingsModule, RestrictionsModule],
  providers: [RestrictionEnforcementService],
  exports: [RestrictionEnforcementService],
})
export class EnforcementModule implements OnApplicationBootstrap {
  constructor(
    private readonly urgentWork: UrgentWork,
    private readonly restrictions: RestrictionsService,
  ) {}

  /**
   * A ban enforced by another worker is urgent here too: the workers share the database, and on
   * a small machine the cores. PostgreSQL says whether one runs (`enforcement_state`).
   */
  onApplicationBootstrap(): void {
    this.urgentWork.watchElsewhere(() => this.restrictions.anyEnforcementRunning());
  }
}
