import { Module } from '@nestjs/common';
import { AccessModule } from '#libs/access';
import { AuditModule } from '#libs/audit';
import { CapacityModule } from '#libs/capacity';
import { FlightsModule } from '#libs/flights';
import { NotificationsModule } from '#libs/notifications';
import { RestrictionsModule } from '#libs/restrictions';
import { Clock } from '#libs/shared';
import { AdmissionBatcher } from './admission/admission-batcher';
import { BookingAmendments } from './booking-amendment.service';
import { BookingCancellation } from './booking-cancellation';
import { BookingsRepository } from './bookings.repository';
import { BookingsService } from './bookings.service';
import { ExposureService } from './exposure.service';
import { GuestDataRetentionService } from './guest-data-retention.service';
import { HoldExpiryService } from './hold-expiry.service';
import { PartyDecisionService } from './party-decision.service';

@Module({
  imports: [AccessModule, AuditModule, CapacityModule, FlightsModule, NotificationsModule, RestrictionsModule],
  providers: [
    BookingsRepository,
    AdmissionBatcher,
    BookingAmendments,
    BookingCancellation,
    BookingsService,
    GuestDataRetentionService,
    HoldExpiryService,
    PartyDecisionService,
    ExposureService,
    Clock,
  ],
  exports: [
    BookingsRepository,
    BookingAmendments,
    BookingCancellation,
    BookingsService,
    GuestDataRetentionService,
    HoldExpiryService,
    PartyDecisionService,
    ExposureService,
  ],
})
export class BookingsModule {}
