import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsNotEmpty, Max, Min } from 'class-validator';
import { ApiCount, ApiDate, IsCalendarDate } from '#libs/shared';
import type { NightState } from '../capacity.repository';

export class CapacityRangeQueryDto {
  @ApiProperty({ example: '2027-07-01', description: 'first night (included)' })
  @IsNotEmpty()
  @IsCalendarDate()
  from: string;

  @ApiProperty({ example: '2027-07-08', description: 'end of the range (excluded), like a check-out date' })
  @IsNotEmpty()
  @IsCalendarDate()
  to: string;
}

export class SetCapacityDto {
  @ApiProperty({ example: 18000, minimum: 0, maximum: 1000000 })
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  capacity: number;
}

export class NightDto {
  @ApiDate({ example: '2027-07-01' }) date: string;
  @ApiCount({ example: 20000 }) capacity: number;
  @ApiCount({ example: 12840, description: 'guests in held and confirmed bookings' }) reserved: number;
  @ApiCount({ example: 310, description: 'the held part of reserved' }) held: number;
  @ApiCount({ example: 7160, description: 'capacity − reserved' }) available: number;

  static from(night: NightState): NightDto {
    // Named fields rather than a spread of the database row: a calendar maps 366 of them per
    // request, and a spread copy of a row cost about 350 bytes each against about 60.
    return {
      date: night.date,
      capacity: night.capacity,
      reserved: night.reserved,
      held: night.held,
      available: night.capacity - night.reserved,
    };
  }
}

export class CalendarDto {
  @ApiProperty({ type: [NightDto] }) nights: NightDto[];
}
