import { randomInt } from 'node:crypto';

/** No 0/O, 1/I/L: references are read aloud over the phone. */
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** What a booking reference looks like, for the OpenAPI document. */
export const BOOKING_REFERENCE_PATTERN = `^KAL-[${ALPHABET}]{6}$`;

/** A short human reference like `KAL-7F3K9Q` (31⁶ ≈ 887 million; collisions are retried on insert). */
export function generateBookingReference(): string {
  let code = '';
  for (let index = 0; index < 6; index++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `KAL-${code}`;
}
