import { Injectable } from '@nestjs/common';

/** The current time, injectable so that rules about "today" can be tested at any date. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
