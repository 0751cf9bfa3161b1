import { Module } from '@nestjs/common';
import { AccessModule } from '#libs/access';
import { AuditModule } from '#libs/audit';
import { CapacityModule } from '#libs/capacity';
import { FlightsModule } from '#libs/flights';
import { NotificationsModule } from '#libs/notifications';
import { RestrictionsModule } from '#libs/restrictions';
import { AdmissionBatcher } from './admission/admission-batcher';
import { BookingAmendments } from './booking-amendment.service';
import { BookingCancellation } from './booking-cancellation';
import { BookingHttpAnswers } from './booking-http-answers';
import { BookingSegments } from './booking-segments.service';
import { BookingsRepository } from './bookings.repository';
import { BookingsService } from './bookings.service';
import { ExposureService } from './exposure.service';
import { GuestDataRetentionService } from './guest-data-retention.service';
import { HoldExpiryService } from './hold-expiry.service';
import { IdempotentAnswers } from './idempotent-answers';
import { PartyDecisionService } from './party-decision.service';

@Module({
  imports: [AccessModule, AuditModule, CapacityModule, FlightsModule, NotificationsModule, RestrictionsModule],
  providers: [
    BookingsRepository,
    AdmissionBatcher,
    BookingAmendments,
    BookingCancellation,
    BookingSegments,
    BookingsService,
    GuestDataRetentionService,
    HoldExpiryService,
    PartyDecisionService,
    ExposureService,
    // The answers stored under Idempotency-Keys are the HTTP answers the controller sends.
    BookingHttpAnswers,
    { provide: IdempotentAnswers, useExisting: BookingHttpAnswers },
  ],
  exports: [
    BookingHttpAnswers,
    BookingAmendments,
    BookingCancellation,
    BookingSegments,
    BookingsService,
    GuestDataRetentionService,
    HoldExpiryService,
    PartyDecisionService,
    ExposureService,
  ],
})
export class BookingsModule {}
