import { DomainError } from '#libs/shared';

export interface ShortNight {
  date: string;
  requested: number;
  available: number;
}

export class CapacityExhausted extends DomainError {
  readonly code = 'capacity_exhausted';
  readonly status = 409;
  readonly title = 'Not enough capacity';

  constructor(readonly shortNights: ShortNight[]) {
    super(shortNights.map((night) => `night ${night.date}: ${night.available} available, ${night.requested} requested`).join('; '), {
      shortNights,
    });
  }
}

export class CapacityBelowReserved extends DomainError {
  readonly code = 'capacity_below_reserved';
  readonly status = 409;
  readonly title = 'Capacity cannot go below what is already reserved';

  constructor(date: string, requested: number, reserved: number) {
    super(`night ${date} has ${reserved} guests reserved; capacity ${requested} is too low`, { date, reserved, requested });
  }
}
