import { dateOfDayNumber, dayNumberOf } from '#libs/shared';
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
  // Nights as day numbers, named once each at the end: a ban releases thousands of stays in one
  // transaction, and a date string per night of each was most of this function's time.
  const byDay = new Map<number, { reserved: number; held: number }>();
  for (const stay of stays) {
    const change = sign * stay.guests;
    const checkOut = dayNumberOf(stay.checkOut);
    for (let day = dayNumberOf(stay.checkIn); day < checkOut; day++) {
      let delta = byDay.get(day);
      if (!delta) byDay.set(day, (delta = { reserved: 0, held: 0 }));
      delta.reserved += change;
      if (stay.held) delta.held += change;
    }
  }
  return [...byDay]
    .sort(([a], [b]) => a - b)
    .map(([day, delta]) => ({ date: dateOfDayNumber(day), reserved: delta.reserved, held: delta.held }));
}

/** Deltas of several sources (e.g. summed by PostgreSQL and by `nightDeltasFor`) as one per night, in date order, as `lockAndAddToNights` takes them. */
export function sumNightDeltas(deltas: NightDelta[]): NightDelta[] {
  const byDate = new Map<string, NightDelta>();
  for (const delta of deltas) {
    const sum = byDate.get(delta.date);
    if (sum) {
      sum.reserved += delta.reserved;
      sum.held += delta.held;
    } else byDate.set(delta.date, { ...delta });
  }
  return [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
