import { Module } from '@nestjs/common';
import { AuditModule } from '#libs/audit';
import { AirportDirectory } from './airport-directory';
import { FlightsRepository } from './flights.repository';
import { FlightsService } from './flights.service';

/**
 * Routes, flights and their seats. Knows nothing of bookings: bookings lock and change seats
 * through `FlightsService` (in their own transaction), and cancelling flights, which counts and
 * then takes their bookings off, lives in libs/disruptions.
 */
@Module({
  imports: [AuditModule],
  providers: [AirportDirectory, FlightsRepository, FlightsService],
  exports: [FlightsService],
})
export class FlightsModule {}
