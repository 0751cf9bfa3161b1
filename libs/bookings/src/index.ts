export * from './bookings.module';
export * from './bookings.repository';
export * from './bookings.service';
export * from './bookings.controller';
export * from './booking-cancellation';
export * from './booking.entity';
export * from './hold-expiry.service';
export * from './dto/booking.dto';
