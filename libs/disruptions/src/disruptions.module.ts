import { Module } from '@nestjs/common';
import { AuditModule } from '#libs/audit';
import { BookingsModule } from '#libs/bookings';
import { FlightsModule } from '#libs/flights';
import { NotificationsModule } from '#libs/notifications';
import { Clock } from '#libs/shared';
import { FlightDisruptionService } from './flight-disruption.service';

/**
 * What flight cancellations do to bookings. Depends on both flights and bookings, so that
 * neither has to depend on the other's direction of the story.
 */
@Module({
  imports: [AuditModule, BookingsModule, FlightsModule, NotificationsModule],
  providers: [FlightDisruptionService, Clock],
  exports: [FlightDisruptionService],
})
export class DisruptionsModule {}
