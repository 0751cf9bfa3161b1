import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { ApiCount, IsCalendarDate, IsInstantWithOffset, IsOmittable, PageQueryDto } from '#libs/shared';
import { DisruptionState, FLIGHT_STATUSES, FlightRow, FlightStatus } from '../flight-row';

/** The same ceiling as a night's capacity: a sanity bound on input, not a model of aircraft. */
export const MAX_FLIGHT_SEATS = 1_000_000;

export class CreateFlightDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  routeId: string;

  @ApiProperty({ example: 'JS271', description: 'airline designator and number, upper case' })
  @IsString()
  @Matches(/^[A-Z0-9]{2}[A-Z]?[0-9]{1,4}[A-Z]?$/, { message: 'flightNumber must be an airline designator and a number, e.g. JS271' })
  flightNumber: string;

  @ApiProperty({ example: '2027-07-01T08:00:00+10:00' })
  @IsInstantWithOffset()
  departureAt: string;

  @ApiProperty({ example: '2027-07-01T09:15:00+09:00', description: 'after departureAt' })
  @IsInstantWithOffset()
  arrivalAt: string;

  @ApiProperty({ example: 180, minimum: 0, maximum: MAX_FLIGHT_SEATS, description: 'seats for sale; one per guest' })
  @IsInt()
  @Min(0)
  @Max(MAX_FLIGHT_SEATS)
  seats: number;
}

export class UpdateFlightDto {
  @ApiPropertyOptional({
    example: 160,
    minimum: 0,
    maximum: MAX_FLIGHT_SEATS,
    description: 'never below the seats already reserved (409 capacity_below_reserved)',
  })
  @IsOmittable() // null is refused (validation_failed), not written to the NOT NULL column
  @IsInt()
  @Min(0)
  @Max(MAX_FLIGHT_SEATS)
  seats?: number;
}

export class CancelFlightDto {
  @ApiProperty({ example: 'Aircraft unavailable', maxLength: 500 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;
}

export class ListFlightsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: '2027-07-01', description: 'resort-local departure date, included' })
  @IsOptional()
  @IsCalendarDate()
  from?: string;

  @ApiPropertyOptional({ example: '2027-07-08', description: 'resort-local departure date, excluded' })
  @IsOptional()
  @IsCalendarDate()
  to?: string;

  @ApiPropertyOptional({ example: 'VVO' })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'origin must be an IATA airport code (three upper-case letters)' })
  origin?: string;

  @ApiPropertyOptional({ example: 'WOS' })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'destination must be an IATA airport code (three upper-case letters)' })
  destination?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  routeId?: string;

  @ApiPropertyOptional({ enum: FLIGHT_STATUSES })
  @IsOptional()
  @IsIn(FLIGHT_STATUSES)
  status?: FlightStatus;
}

export class FlightCancellationDto {
  @ApiProperty({ example: 'Aircraft unavailable' }) reason: string;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'the route suspension that cancelled it, if one did' })
  suspensionId: string | null;
}

export class DisruptionDto {
  @ApiProperty({ enum: ['pending', 'running', 'completed'], description: 'taking the bookings off the cancelled flight' })
  state: DisruptionState;
  @ApiCount({ example: 42, description: 'live bookings on the flight when it was cancelled' }) affectedBookings: number;
  @ApiCount({
    example: 40,
    description: 'bookings whose segment was released (and agency notified) so far; others were cancelled meanwhile',
  })
  releasedBookings: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) completedAt: string | null;
}

export class FlightDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) routeId: string;
  @ApiProperty({ example: 'JS271' }) flightNumber: string;
  @ApiProperty({ example: 'VVO' }) origin: string;
  @ApiProperty({ example: 'WOS' }) destination: string;
  @ApiProperty({ format: 'date-time' }) departureAt: string;
  @ApiProperty({ format: 'date-time' }) arrivalAt: string;
  @ApiCount({ example: 180 }) seats: number;
  @ApiCount({ example: 120, description: 'guests of held and confirmed bookings on the flight' }) seatsReserved: number;
  @ApiCount({ example: 60, description: 'seats − seatsReserved' }) seatsAvailable: number;
  @ApiProperty({ enum: FLIGHT_STATUSES }) status: FlightStatus;
  @ApiProperty({ type: FlightCancellationDto, nullable: true, description: 'set once cancelled' })
  cancellation: FlightCancellationDto | null;
  @ApiProperty({ type: DisruptionDto, nullable: true, description: 'progress of releasing the bookings of a cancelled flight' })
  disruption: DisruptionDto | null;

  static from(row: FlightRow): FlightDto {
    return {
      id: row.id,
      routeId: row.routeId,
      flightNumber: row.flightNumber,
      origin: row.origin,
      destination: row.destination,
      departureAt: new Date(row.departureAt).toISOString(),
      arrivalAt: new Date(row.arrivalAt).toISOString(),
      seats: row.seats,
      seatsReserved: row.seatsReserved,
      seatsAvailable: row.seats - row.seatsReserved,
      status: row.status,
      cancellation:
        row.status === 'cancelled' && row.cancelledAt
          ? { reason: row.cancellationReason ?? '', at: new Date(row.cancelledAt).toISOString(), suspensionId: row.suspensionId }
          : null,
      disruption: row.disruptionState
        ? {
            state: row.disruptionState,
            affectedBookings: row.disruptionAffectedBookings,
            releasedBookings: row.disruptionReleasedBookings,
            completedAt: row.disruptionCompletedAt ? new Date(row.disruptionCompletedAt).toISOString() : null,
          }
        : null,
    };
  }
}

export class FlightPageDto {
  @ApiProperty({ type: [FlightDto] }) data: FlightDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
