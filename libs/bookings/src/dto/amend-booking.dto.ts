import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsUUID, ValidateNested } from 'class-validator';
import { IsCalendarDate, IsOmittable } from '#libs/shared';
import { GuestDto, GUESTS_HARD_LIMIT } from './create-booking.dto';

/**
 * `PATCH /v1/bookings/{id}`: what changes; an absent field stays as it is. The booking as
 * amended must pass every rule of a new booking. A flight id set to null removes that segment.
 */
export class AmendBookingDto {
  @ApiPropertyOptional({
    example: '2027-07-02',
    description: 'new first night (resort time); the amended stay obeys every rule of a new one',
  })
  @IsOmittable()
  @IsCalendarDate()
  checkIn?: string;

  @ApiPropertyOptional({ example: '2027-07-06', description: 'new day of departure' })
  @IsOmittable()
  @IsCalendarDate()
  checkOut?: string;

  @ApiPropertyOptional({ type: [GuestDto], minItems: 1, description: 'the whole new party (replaces every guest); at most MAX_PARTY_SIZE' })
  @IsOmittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(GUESTS_HARD_LIMIT)
  @ValidateNested({ each: true })
  @Type(() => GuestDto)
  guests?: GuestDto[];

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description:
      'a flight arriving at the resort airport on the (new) check-in date; null removes the outbound segment and releases its seats. ' +
      'Absent: the booking keeps its flight, which must still fit the amended dates (else 422 flight_mismatch).',
  })
  @IsOptional()
  @IsUUID()
  outboundFlightId?: string | null;

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description:
      'a flight leaving the resort airport on the (new) check-out date; null removes the return segment. Absent: kept, and must still fit.',
  })
  @IsOptional()
  @IsUUID()
  returnFlightId?: string | null;
}
