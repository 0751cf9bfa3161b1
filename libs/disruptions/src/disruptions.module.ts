import { Module } from '@nestjs/common';
import { AuditModule } from '#libs/audit';
import { BookingsModule } from '#libs/bookings';
import { FlightsModule } from '#libs/flights';
import { NotificationsModule } from '#libs/notifications';
import { FlightCancellationService } from './flight-cancellation.service';
import { FlightDisruptionService } from './flight-disruption.service';

/**
 * Flight cancellations and what they do to bookings. Depends on both flights and bookings, so
 * that neither has to depend on the other's direction of the story. Its controllers
 * (`FlightCancellationController`, `RouteSuspensionController`) are registered by apps/api.
 */
@Module({
  imports: [AuditModule, BookingsModule, FlightsModule, NotificationsModule],
  providers: [FlightCancellationService, FlightDisruptionService],
  exports: [FlightCancellationService, FlightDisruptionService],
})
export class DisruptionsModule {}
