import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import { ApiCount, ApiDate, daysBetween, IsCalendarDate, NATIONALITY_PATTERN, PageQueryDto } from '#libs/shared';
import { BOOKING_REFERENCE_PATTERN } from '../booking-reference';
import { BOOKING_STATUSES, BookingRow, BookingStatus } from '../booking-row';

export class CancellationDto {
  @ApiProperty({ enum: ['agent_request', 'operations', 'restriction', 'hold_expired'] }) reason: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'the restriction that caused it' }) restrictionId?: string;
  @ApiProperty({ format: 'date-time' }) at: string;
}

/** A guest in a response: after anonymisation (GUEST_DATA_RETENTION_DAYS) only `nationality` is left. */
export class BookingGuestDto {
  @ApiProperty({ example: 'Ivan Petrov', nullable: true, type: String, description: 'null once the booking is anonymised' }) fullName:
    string | null;
  @ApiProperty({ example: 'RU', pattern: NATIONALITY_PATTERN, description: 'ISO 3166-1 alpha-2, upper case' }) nationality: string;
  @ApiPropertyOptional({ example: '1988-04-12', format: 'date', description: 'absent once the booking is anonymised' })
  dateOfBirth?: string;
  @ApiPropertyOptional({ example: '751234567', description: 'absent once the booking is anonymised' }) passportNumber?: string;
}

export class ActionRequiredDto {
  @ApiProperty({ enum: ['guests_removed'], description: "a restriction took the party's covered guests out" }) reason: 'guests_removed';
  @ApiProperty({ format: 'uuid', description: 'the restriction that did' }) restrictionId: string;
  @ApiProperty({
    format: 'date-time',
    description: 'keep (POST /v1/bookings/{id}/keep) or cancel before then, else the booking is cancelled',
  })
  deadline: string;
}

export class BookingDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'KAL-7F3K9Q', pattern: BOOKING_REFERENCE_PATTERN }) reference: string;
  @ApiProperty({ format: 'uuid' }) agencyId: string;
  @ApiProperty({ enum: BOOKING_STATUSES }) status: BookingStatus;
  @ApiDate({ example: '2027-07-01' }) checkIn: string;
  @ApiDate({ example: '2027-07-05' }) checkOut: string;
  @ApiCount({ example: 4, minimum: 1, description: 'number of nights' }) nights: number;
  @ApiProperty({ type: [BookingGuestDto] }) guests: BookingGuestDto[];
  @ApiCount({ example: 2, minimum: 1 }) guestCount: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) holdExpiresAt: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) outboundFlightId: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) returnFlightId: string | null;
  @ApiProperty({ type: CancellationDto, nullable: true }) cancellation: CancellationDto | null;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description:
      'when the guests were anonymised (GUEST_DATA_RETENTION_DAYS after check-out or cancellation); counts and nationalities stay',
  })
  anonymisedAt: string | null;
  @ApiProperty({
    type: ActionRequiredDto,
    nullable: true,
    description:
      "set when a restriction removed guests and the agency's party policy is ask: the agency keeps the reduced party or cancels by the deadline",
  })
  actionRequired: ActionRequiredDto | null;
  @ApiCount({
    example: 3,
    minimum: 1,
    description: '1 at creation, +1 on every change of any kind; the ETag of the booking ("3"), which If-Match compares',
  })
  version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static from(row: BookingRow): BookingDto {
    const cancellation: CancellationDto | null =
      row.status === 'cancelled' && row.cancellationReason
        ? {
            reason: row.cancellationReason,
            ...(row.cancellationRestrictionId ? { restrictionId: row.cancellationRestrictionId } : {}),
            at: new Date(row.cancelledAt ?? row.updatedAt).toISOString(),
          }
        : null;
    return {
      id: row.id,
      reference: row.reference,
      agencyId: row.agencyId,
      status: row.status,
      checkIn: row.checkIn,
      checkOut: row.checkOut,
      nights: daysBetween(row.checkIn, row.checkOut),
      guests: row.guests,
      guestCount: row.guestCount,
      holdExpiresAt: row.holdExpiresAt ? new Date(row.holdExpiresAt).toISOString() : null,
      outboundFlightId: row.outboundFlightId,
      returnFlightId: row.returnFlightId,
      cancellation,
      anonymisedAt: row.anonymisedAt ? new Date(row.anonymisedAt).toISOString() : null,
      actionRequired:
        row.actionRequiredReason && row.actionRequiredRestrictionId && row.actionRequiredDeadline
          ? {
              reason: row.actionRequiredReason,
              restrictionId: row.actionRequiredRestrictionId,
              deadline: new Date(row.actionRequiredDeadline).toISOString(),
            }
          : null,
      version: row.version,
      createdAt: new Date(row.createdAt).toISOString(),
      updatedAt: new Date(row.updatedAt).toISOString(),
    };
  }
}

export class BookingPageDto {
  @ApiProperty({ type: [BookingDto] }) data: BookingDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class ListBookingsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: BOOKING_STATUSES })
  @IsOptional()
  @IsIn(BOOKING_STATUSES)
  status?: BookingStatus;

  @ApiPropertyOptional({ example: '2027-07-01', description: 'check-in on or after (included)' })
  @IsOptional()
  @IsCalendarDate()
  checkInFrom?: string;

  @ApiPropertyOptional({ example: '2027-08-01', description: 'check-in before (excluded)' })
  @IsOptional()
  @IsCalendarDate()
  checkInTo?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'operations only: one agency' })
  @IsOptional()
  @IsUUID()
  agencyId?: string;

  @ApiPropertyOptional({ example: 'KAL-7F3K9Q', description: "one booking's short reference (upper case)" })
  @IsOptional()
  @Matches(/^[A-Z0-9-]{1,20}$/, { message: 'reference must be a booking reference such as KAL-7F3K9Q' })
  reference?: string;
}
