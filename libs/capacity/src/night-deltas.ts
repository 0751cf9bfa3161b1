import { nightsOfStay } from '#libs/shared';
import type { NightDelta } from './capacity.repository';

export interface StayUsage {
  checkIn: string;
  checkOut: string;
  guests: number;
  /** Whether the stay is held (its guests also count in `held`). */
  held: boolean;
}

/**
 * Per-night changes for taking (`sign` = 1) or releasing (`sign` = -1) a set of stays,
 * summed per night and sorted by date.
 */
export function nightDeltasFor(stays: StayUsage[], sign: 1 | -1): NightDelta[] {
  const byDate = new Map<string, NightDelta>();
  for (const stay of stays) {
    for (const date of nightsOfStay(stay.checkIn, stay.checkOut)) {
      const delta = byDate.get(date) ?? { date, reserved: 0, held: 0 };
      delta.reserved += sign * stay.guests;
      if (stay.held) delta.held += sign * stay.guests;
      byDate.set(date, delta);
    }
  }
  return [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
}
