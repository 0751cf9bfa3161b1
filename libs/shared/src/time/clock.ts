import { Injectable } from '@nestjs/common';

/**
 * The current time of the domain, injectable so that rules about "today" can be tested at any
 * date. Provided once per process by `ClockModule`. Durations and timeouts (metrics, leases,
 * caches) use `performance.now()` instead, which no wall-clock change moves.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
