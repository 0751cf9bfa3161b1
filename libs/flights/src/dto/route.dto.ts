import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsInstantWithOffset } from '#libs/shared';
import type { FlightRow, RouteRow, RouteSuspensionRow } from '../flight-row';

const IATA = /^[A-Z]{3}$/;

export class CreateRouteDto {
  @ApiProperty({ example: 'VVO', description: 'IATA code of the departure airport, upper case' })
  @IsString()
  @Matches(IATA, { message: 'origin must be an IATA airport code (three upper-case letters)' })
  origin: string;

  @ApiProperty({
    example: 'WOS',
    description: 'IATA code of the arrival airport; one end of every route is the resort airport (RESORT_AIRPORT, default WOS)',
  })
  @IsString()
  @Matches(IATA, { message: 'destination must be an IATA airport code (three upper-case letters)' })
  destination: string;
}

export class RouteDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'VVO' }) origin: string;
  @ApiProperty({ example: 'WOS' }) destination: string;
  @ApiProperty({ example: 'Vladivostok International Airport' }) originName: string;
  @ApiProperty({ example: 'Wonsan Kalma Airport' }) destinationName: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static from(row: RouteRow): RouteDto {
    return {
      id: row.id,
      origin: row.origin,
      destination: row.destination,
      originName: row.originName,
      destinationName: row.destinationName,
      createdAt: new Date(row.createdAt).toISOString(),
    };
  }
}

export class RoutePageDto {
  @ApiProperty({ type: [RouteDto] }) data: RouteDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class SuspendRouteDto {
  @ApiProperty({ example: '2027-07-10T00:00:00+09:00', description: 'flights departing at or after this instant are cancelled' })
  @IsInstantWithOffset()
  from: string;

  @ApiPropertyOptional({ example: '2027-07-20T00:00:00+09:00', description: 'end of the window (excluded); absent: until further notice' })
  @IsOptional()
  @IsInstantWithOffset()
  until?: string;

  @ApiProperty({ example: 'Border closed to foreign tourists', maxLength: 500 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;
}

export class RouteSuspensionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) routeId: string;
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'null: until further notice' }) until: string | null;
  @ApiProperty({ example: 'Border closed to foreign tourists' }) reason: string;
  @ApiProperty({ type: 'array', items: { type: 'string', format: 'uuid' }, description: 'ids of the flights this suspension cancelled' })
  cancelledFlightIds: string[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static from(row: RouteSuspensionRow, cancelled: Pick<FlightRow, 'id'>[]): RouteSuspensionDto {
    return {
      id: row.id,
      routeId: row.routeId,
      from: new Date(row.suspendedFrom).toISOString(),
      until: row.suspendedUntil ? new Date(row.suspendedUntil).toISOString() : null,
      reason: row.reason,
      cancelledFlightIds: cancelled.map((flight) => flight.id),
      createdAt: new Date(row.createdAt).toISOString(),
    };
  }
}

export class RouteSuspensionPageDto {
  @ApiProperty({ type: [RouteSuspensionDto] }) data: RouteSuspensionDto[];
  @ApiProperty({ type: String, nullable: true, description: 'null on the last page' }) nextCursor: string | null;
}
