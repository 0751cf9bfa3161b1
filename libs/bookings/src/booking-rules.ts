import { AppConfig } from '#libs/config';
import { addDays, daysBetween, FieldProblem } from '#libs/shared';
import type { Guest } from './booking-row';

/** A stay as a request asks for it (a new booking, or a booking as an amendment would leave it). */
export interface RequestedStay {
  checkIn: string;
  checkOut: string;
  guests: { nationality: string; dateOfBirth?: string }[];
}

/**
 * The rules of PRODUCT.md that need configuration or today's date (the DTOs checked shapes):
 * stay length, check-in not past and within the horizon, party size, no date of birth in the
 * future. The same rules for a new booking and for an amended one.
 */
export function stayRuleProblems(
  stay: RequestedStay,
  config: Pick<AppConfig, 'MAX_STAY_NIGHTS' | 'BOOKING_HORIZON_DAYS' | 'MAX_PARTY_SIZE'>,
  today: string,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const nights = daysBetween(stay.checkIn, stay.checkOut);
  if (nights < 1) problems.push({ field: 'checkOut', message: 'must be after checkIn' });
  else if (nights > config.MAX_STAY_NIGHTS) {
    problems.push({ field: 'checkOut', message: `a stay may last at most ${config.MAX_STAY_NIGHTS} nights` });
  }
  if (stay.checkIn < today) problems.push({ field: 'checkIn', message: `must not be in the past (resort date today is ${today})` });
  const horizon = addDays(today, config.BOOKING_HORIZON_DAYS);
  if (stay.checkIn > horizon)
    problems.push({ field: 'checkIn', message: `must be on or before ${horizon} (${config.BOOKING_HORIZON_DAYS} days ahead)` });
  if (stay.guests.length > config.MAX_PARTY_SIZE) {
    problems.push({ field: 'guests', message: `a party may have at most ${config.MAX_PARTY_SIZE} guests` });
  }
  stay.guests.forEach((guest, index) => {
    if (guest.dateOfBirth && guest.dateOfBirth > today)
      problems.push({ field: `guests[${index}].dateOfBirth`, message: 'must not be in the future' });
  });
  return problems;
}

/** Guests as a booking stores them: only the fields given (no undefined members in the JSON). */
export function storedGuestsOf(
  guests: { fullName: string; nationality: string; dateOfBirth?: string; passportNumber?: string }[],
): Guest[] {
  return guests.map((guest) => ({
    fullName: guest.fullName,
    nationality: guest.nationality,
    ...(guest.dateOfBirth ? { dateOfBirth: guest.dateOfBirth } : {}),
    ...(guest.passportNumber ? { passportNumber: guest.passportNumber } : {}),
  }));
}
