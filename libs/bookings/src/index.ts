export * from './bookings.module';
export type {
  AffectedBooking,
  AnonymisedBooking,
  BookingListFilter,
  CancelledBooking,
  IdRange,
  NewBooking,
  ReducedBooking,
} from './bookings.repository';
export * from './bookings.service';
export * from './bookings.controller';
export * from './booking-cancellation';
export * from './booking-segments.service';
export * from './booking.entity';
export * from './guest-data-retention.service';
export * from './hold-expiry.service';
export * from './party-decision.service';
export * from './dto/booking.dto';
export * from './bookings.errors';
export * from './audited-booking-fields';
export * from './booking-amendment.service';
export * from './idempotent-answers';
export * from './booking-http-answers';
export * from './booking-changes';
export * from './version-precondition';
export * from './dto/amend-booking.dto';
export * from './exposure.controller';
export * from './exposure.service';
export * from './booking-etags';
