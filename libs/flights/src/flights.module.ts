import { Module } from '@nestjs/common';
import { AuditModule } from '#libs/audit';
import { Clock } from '#libs/shared';
import { AirportDirectory } from './airport-directory';
import { FlightsRepository } from './flights.repository';
import { FlightsService } from './flights.service';

/**
 * Routes, flights and their seats. Knows nothing of bookings: bookings lock and change seats
 * through `FlightsRepository`, and taking bookings off cancelled flights lives in libs/disruptions.
 */
@Module({
  imports: [AuditModule],
  providers: [AirportDirectory, FlightsRepository, FlightsService, Clock],
  exports: [FlightsRepository, FlightsService],
})
export class FlightsModule {}
