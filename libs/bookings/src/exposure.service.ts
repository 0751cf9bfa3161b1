import { Injectable } from '@nestjs/common';
import { addDays, daysBetween, ValidationFailed } from '#libs/shared';
import { BookingsRepository } from './bookings.repository';
import { ExposureDto, ExposureNightDto } from './dto/exposure.dto';

/** A quarter of a year at most: the console's Exposure screen shows a few weeks at a time. */
export const MAX_EXPOSURE_NIGHTS = 100;

/** Live guests per night by nationality: what a ban on each nationality would take out. */
@Injectable()
export class ExposureService {
  constructor(private readonly bookings: BookingsRepository) {}

  async exposure(from: string, to: string): Promise<ExposureDto> {
    const length = daysBetween(from, to);
    if (length < 1) throw ValidationFailed.field('to', 'must be after from');
    if (length > MAX_EXPOSURE_NIGHTS) throw ValidationFailed.field('to', `the range may span at most ${MAX_EXPOSURE_NIGHTS} nights`);
    const counts = await this.bookings.exposureByNight(from, to);
    const nights = new Map<string, ExposureNightDto>();
    for (let day = 0; day < length; day++) {
      const date = addDays(from, day);
      nights.set(date, { date, guests: 0, byNationality: {} });
    }
    const totals = new Map<string, number>();
    for (const { date, nationality, guests } of counts) {
      const night = nights.get(date);
      if (!night) continue;
      night.guests += guests;
      night.byNationality[nationality] = guests;
      totals.set(nationality, (totals.get(nationality) ?? 0) + guests);
    }
    const largestFirst = [...totals].sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
    return { nights: [...nights.values()], totals: Object.fromEntries(largestFirst) };
  }
}
