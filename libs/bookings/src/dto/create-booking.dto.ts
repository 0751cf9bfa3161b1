import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsISO31661Alpha2,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { IsCalendarDate } from '#libs/shared';

/** A hard ceiling for the body; the configured MAX_PARTY_SIZE (default 50) is checked by the service. */
export const GUESTS_HARD_LIMIT = 1000;
/** A guest's rules, shared with the compiled check of booking bodies (create-booking.fast-path.ts). */
export const FULL_NAME_MAX_LENGTH = 200;
export const NOT_BLANK = /\S/;
export const NATIONALITY_PATTERN = /^[A-Z]{2}$/;
export const PASSPORT_NUMBER_PATTERN = /^[A-Za-z0-9<-]{1,40}$/;

export class GuestDto {
  @ApiProperty({ example: 'Ivan Petrov', maxLength: FULL_NAME_MAX_LENGTH })
  @IsString()
  @IsNotEmpty()
  @MaxLength(FULL_NAME_MAX_LENGTH)
  @Matches(NOT_BLANK, { message: 'fullName must not be blank' })
  fullName: string;

  @ApiProperty({ example: 'RU', description: 'ISO 3166-1 alpha-2, upper case' })
  @IsString()
  @Matches(NATIONALITY_PATTERN, { message: 'nationality must be two upper-case letters (ISO 3166-1 alpha-2)' })
  @IsISO31661Alpha2({ message: 'nationality must be an ISO 3166-1 alpha-2 country code' })
  nationality: string;

  @ApiPropertyOptional({ example: '1988-04-12' })
  @IsOptional()
  @IsCalendarDate()
  dateOfBirth?: string;

  @ApiPropertyOptional({ example: '751234567', maxLength: 40 })
  @IsOptional()
  @IsString()
  @Matches(PASSPORT_NUMBER_PATTERN, { message: 'passportNumber must be 1–40 letters, digits, < or -' })
  passportNumber?: string;
}

export class CreateBookingDto {
  @ApiProperty({ example: '2027-07-01', description: 'first night, resort time; today or later, within the booking horizon' })
  @IsCalendarDate()
  checkIn: string;

  @ApiProperty({ example: '2027-07-05', description: 'day of departure (not a night of the stay)' })
  @IsCalendarDate()
  checkOut: string;

  @ApiProperty({ type: [GuestDto], minItems: 1, description: 'every guest counts, children too (at most MAX_PARTY_SIZE, default 50)' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(GUESTS_HARD_LIMIT)
  @ValidateNested({ each: true })
  @Type(() => GuestDto)
  guests: GuestDto[];

  @ApiPropertyOptional({ default: false, description: 'hold instead of confirming: capacity is kept until holdExpiresAt' })
  @IsOptional()
  @IsBoolean()
  hold?: boolean;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'a flight arriving at the resort airport on the check-in date (resort time); one seat per guest. ' +
      'A flight that does not fit the stay, or an id that names no flight, is 422 flight_mismatch; a cancelled one 409 flight_unavailable.',
  })
  @IsOptional()
  @IsUUID()
  outboundFlightId?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'a flight leaving the resort airport on the check-out date (resort time); one seat per guest',
  })
  @IsOptional()
  @IsUUID()
  returnFlightId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'required for operations keys; agents may omit it or give their own' })
  @IsOptional()
  @IsUUID()
  agencyId?: string;
}

/** `PUT /v1/bookings/{id}/flights`: the booking's flights afterwards; an absent or null segment is removed. */
export class ReplaceBookingFlightsDto {
  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'a flight arriving at the resort airport on the check-in date; absent or null: no outbound flight',
  })
  @IsOptional()
  @IsUUID()
  outboundFlightId?: string | null;

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'a flight leaving the resort airport on the check-out date; absent or null: no return flight',
  })
  @IsOptional()
  @IsUUID()
  returnFlightId?: string | null;
}
