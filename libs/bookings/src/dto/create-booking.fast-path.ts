import { isISO31661Alpha2, isUUID } from 'class-validator';
import { isCalendarDate } from '#libs/shared';
import {
  CreateBookingDto,
  FULL_NAME_MAX_LENGTH,
  GUESTS_HARD_LIMIT,
  GuestDto,
  NATIONALITY_PATTERN,
  NOT_BLANK,
  PASSPORT_NUMBER_PATTERN,
} from './create-booking.dto';

/*
 * The compiled check of `POST /v1/bookings` bodies (see CompiledValidator in libs/shared): the
 * decorators of CreateBookingDto and GuestDto written out as plain code, for the route every
 * agency calls most. It accepts only what those decorators accept and declines (undefined)
 * everything else, including what they might accept but this code is not sure of (a null for an
 * optional field, a name longer than 200 UTF-16 units): the validation pipe then decides and
 * names the faults. Its output is what the pipe would return, instances included; the property
 * test beside it holds both to that.
 */

const BOOKING_FIELDS = new Set(['checkIn', 'checkOut', 'guests', 'hold', 'outboundFlightId', 'returnFlightId', 'agencyId']);
const GUEST_FIELDS = new Set(['fullName', 'nationality', 'dateOfBirth', 'passportNumber']);

/** An object literal as JSON.parse makes them (of any realm: tests hand in structured clones): no array, no class instance. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype !== null && Object.getPrototypeOf(prototype) === null;
}

function onlyKnownFields(value: Record<string, unknown>, known: ReadonlySet<string>): boolean {
  for (const key in value) if (!known.has(key)) return false;
  return true;
}

/** Absent, or a string the check accepts (`IsOptional` would also let null through: declined here). */
function absentOr(value: Record<string, unknown>, field: string, check: (text: string) => boolean): boolean {
  if (!(field in value)) return true;
  const text = value[field];
  return typeof text === 'string' && check(text);
}

function acceptGuest(value: unknown): GuestDto | undefined {
  if (!isPlainObject(value) || !onlyKnownFields(value, GUEST_FIELDS)) return undefined;
  const { fullName, nationality } = value;
  if (typeof fullName !== 'string' || fullName.length > FULL_NAME_MAX_LENGTH || !NOT_BLANK.test(fullName)) return undefined;
  if (typeof nationality !== 'string' || !NATIONALITY_PATTERN.test(nationality) || !isISO31661Alpha2(nationality)) return undefined;
  if (!absentOr(value, 'dateOfBirth', isCalendarDate)) return undefined;
  if (!absentOr(value, 'passportNumber', (text) => PASSPORT_NUMBER_PATTERN.test(text))) return undefined;
  return Object.assign(new GuestDto(), value);
}

/** A `POST /v1/bookings` body as CreateBookingDto when it is certainly valid, else undefined. */
export function acceptCreateBookingBody(value: unknown): CreateBookingDto | undefined {
  if (!isPlainObject(value) || !onlyKnownFields(value, BOOKING_FIELDS)) return undefined;
  if (!isCalendarDate(value.checkIn) || !isCalendarDate(value.checkOut)) return undefined;
  if ('hold' in value && typeof value.hold !== 'boolean') return undefined;
  for (const field of ['outboundFlightId', 'returnFlightId', 'agencyId']) {
    if (!absentOr(value, field, (text) => isUUID(text))) return undefined;
  }
  const { guests } = value;
  if (!Array.isArray(guests) || guests.length < 1 || guests.length > GUESTS_HARD_LIMIT) return undefined;
  const accepted: GuestDto[] = [];
  for (const guest of guests) {
    const dto = acceptGuest(guest);
    if (!dto) return undefined;
    accepted.push(dto);
  }
  return Object.assign(new CreateBookingDto(), value, { guests: accepted });
}
