import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsISO31661Alpha2,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { ApiCount, ApiDate, IsInstantWithOffset, IsOmittable, NATIONALITY_PATTERN, PageQueryDto } from '#libs/shared';
import { ENFORCEMENT_STATES, EnforcementState, RestrictionRow } from '../restriction-row';
import { RESTRICTION_STATUSES, RestrictionStatus, statusOf } from '../restriction-rules';
import { RestrictionImpact } from '../restrictions.repository';

/** There are fewer than 250 ISO 3166-1 codes; a longer list is a mistake. */
const MAX_CODES = 250;
const UPPER_CASE_CODE = /^[A-Z]{2}$/;
const CODE_MESSAGE = 'each value must be two upper-case letters (ISO 3166-1 alpha-2)';

/** The body of `POST /v1/restrictions` and of its preview. */
export class CreateRestrictionDto {
  @ApiPropertyOptional({
    type: [String],
    example: ['US', 'GB'],
    description: 'the covered nationalities (ISO 3166-1 alpha-2); give this or allForeign: true',
  })
  @IsOmittable() // absent is fine; null is refused (the service tells absent from given by undefined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_CODES)
  @IsString({ each: true })
  @Matches(UPPER_CASE_CODE, { each: true, message: `nationalities: ${CODE_MESSAGE}` })
  @IsISO31661Alpha2({ each: true, message: 'nationalities: each value must be an ISO 3166-1 alpha-2 country code' })
  nationalities?: string[];

  @ApiPropertyOptional({
    example: false,
    description: 'true: every nationality but the resort home country (RESORT_HOME_COUNTRY), minus `except`',
  })
  @IsOmittable() // absent is fine; null is refused (the service tells absent from given by undefined)
  @IsBoolean()
  allForeign?: boolean;

  @ApiPropertyOptional({ type: [String], example: ['RU'], description: 'only with allForeign: nationalities spared' })
  @IsOmittable() // absent is fine; null is refused (the service tells absent from given by undefined)
  @IsArray()
  @ArrayMaxSize(MAX_CODES)
  @IsString({ each: true })
  @Matches(UPPER_CASE_CODE, { each: true, message: `except: ${CODE_MESSAGE}` })
  @IsISO31661Alpha2({ each: true, message: 'except: each value must be an ISO 3166-1 alpha-2 country code' })
  except?: string[];

  @ApiProperty({
    example: '2027-07-01T00:00:00+09:00',
    description: 'when it takes effect (now or past: at once); its resort-local date is the first check-in date covered',
  })
  @IsInstantWithOffset()
  effectiveFrom: string;

  @ApiPropertyOptional({
    example: '2027-09-01T00:00:00+09:00',
    description: 'when it ends ("temporarily"); its resort-local date is the first check-in date no longer covered',
  })
  @IsOptional()
  @IsInstantWithOffset()
  effectiveUntil?: string;

  @ApiProperty({ example: 'Border closed by order of the State Tourism Administration', maxLength: 1000 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;
}

export class RestrictionWindowDto {
  @ApiDate({ example: '2027-07-01', description: 'first check-in date covered' }) from: string;
  @ApiDate({ example: '2027-09-01', nullable: true, description: 'first check-in date no longer covered; null: open-ended' })
  to: string | null;
}

export class EnforcementDto {
  @ApiProperty({
    enum: ENFORCEMENT_STATES,
    description: 'pending until it takes effect, running while bookings are cancelled, then completed',
  })
  state: EnforcementState;
  @ApiCount({
    example: 1200,
    description: 'live bookings affected when enforcement started: cancelledBookings + reducedBookings once completed',
  })
  affectedBookings: number;
  @ApiCount({ example: 1150, description: 'bookings cancelled so far' }) cancelledBookings: number;
  @ApiCount({
    example: 50,
    description: "bookings whose covered guests were removed so far (their agency's party policy kept the rest of the party)",
  })
  reducedBookings: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) startedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) completedAt: string | null;
}

export class RestrictionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: RESTRICTION_STATUSES }) status: RestrictionStatus;
  @ApiProperty({
    type: 'array',
    items: { type: 'string', pattern: NATIONALITY_PATTERN },
    nullable: true,
    example: ['US', 'GB'],
    description: 'null for allForeign',
  })
  nationalities: string[] | null;
  @ApiProperty({ example: false }) allForeign: boolean;
  @ApiProperty({
    type: 'array',
    items: { type: 'string', pattern: NATIONALITY_PATTERN },
    example: [],
    description: 'nationalities spared by an allForeign restriction',
  })
  except: string[];
  @ApiProperty({ example: 'KP', pattern: NATIONALITY_PATTERN, description: 'the resort home country, never covered by allForeign' })
  homeCountry: string;
  @ApiProperty({ format: 'date-time' }) effectiveFrom: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) effectiveUntil: string | null;
  @ApiProperty({ type: RestrictionWindowDto, description: 'check-in dates covered, [from, to)' }) window: RestrictionWindowDto;
  @ApiProperty({ example: 'Border closed by order of the State Tourism Administration' }) reason: string;
  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'the API key that applied it; shown to operations keys only',
  })
  appliedByKeyId?: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) liftedAt: string | null;
  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'the API key that lifted it; shown to operations keys only',
  })
  liftedByKeyId?: string | null;
  @ApiProperty({ type: EnforcementDto }) enforcement: EnforcementDto;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  /** Agents see a restriction without the ids of the operations keys that applied and lifted it. */
  /** `now` (the domain's `Clock`) decides the status: scheduled, active, expired or lifted. */
  static from(row: RestrictionRow, viewer: 'operations' | 'agent', now: Date): RestrictionDto {
    const iso = (value: Date | null): string | null => (value ? new Date(value).toISOString() : null);
    const keyIds = viewer === 'operations' ? { appliedByKeyId: row.appliedByKeyId, liftedByKeyId: row.liftedByKeyId } : {};
    return {
      ...keyIds,
      id: row.id,
      status: statusOf(
        {
          effectiveFrom: new Date(row.effectiveFrom),
          effectiveUntil: row.effectiveUntil ? new Date(row.effectiveUntil) : null,
          liftedAt: row.liftedAt ? new Date(row.liftedAt) : null,
        },
        now,
      ),
      nationalities: row.nationalities,
      allForeign: row.allForeign,
      except: row.exceptNationalities,
      homeCountry: row.homeCountry,
      effectiveFrom: new Date(row.effectiveFrom).toISOString(),
      effectiveUntil: iso(row.effectiveUntil),
      window: { from: row.windowFrom, to: row.windowTo },
      reason: row.reason,
      liftedAt: iso(row.liftedAt),
      enforcement: {
        state: row.enforcementState,
        affectedBookings: row.affectedBookings,
        cancelledBookings: row.cancelledBookings,
        reducedBookings: row.reducedBookings,
        startedAt: iso(row.enforcementStartedAt),
        completedAt: iso(row.enforcementCompletedAt),
      },
      createdAt: new Date(row.createdAt).toISOString(),
      updatedAt: new Date(row.updatedAt).toISOString(),
    };
  }
}

export class RestrictionPageDto {
  @ApiProperty({ type: [RestrictionDto] }) data: RestrictionDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

const TO_CANCEL = 'of those, the bookings enforcement would cancel: all guests covered, no adult left, or the agency policy cancel_booking';
const TO_REDUCE = 'of those, the bookings enforcement would keep without their covered guests (agency policy remove_covered_guests or ask)';
const TO_REMOVE = 'the covered guests taken out of the bookings to reduce';

export class AgencyImpactDto {
  @ApiProperty({ format: 'uuid' }) agencyId: string;
  @ApiCount({ example: 12 }) affectedBookings: number;
  @ApiCount({ example: 31 }) affectedGuests: number;
  @ApiCount({ example: 10, description: TO_CANCEL }) bookingsToCancel: number;
  @ApiCount({ example: 2, description: TO_REDUCE }) bookingsToReduce: number;
  @ApiCount({ example: 3, description: TO_REMOVE }) guestsToRemove: number;
}

export class RestrictionPreviewDto {
  @ApiCount({ example: 40, description: 'live bookings it would affect now (cancel or reduce)' }) affectedBookings: number;
  @ApiCount({ example: 97, description: 'every guest of those bookings' }) affectedGuests: number;
  @ApiCount({ example: 88, description: 'the guests of those bookings whose nationality it covers' }) coveredGuests: number;
  @ApiCount({ example: 36, description: TO_CANCEL }) bookingsToCancel: number;
  @ApiCount({ example: 4, description: TO_REDUCE }) bookingsToReduce: number;
  @ApiCount({ example: 5, description: TO_REMOVE }) guestsToRemove: number;
  @ApiProperty({ type: [AgencyImpactDto] }) byAgency: AgencyImpactDto[];

  static from(impact: RestrictionImpact): RestrictionPreviewDto {
    return { ...impact, byAgency: impact.byAgency.map((agency) => ({ ...agency })) };
  }
}

export class ListRestrictionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: RESTRICTION_STATUSES })
  @IsOptional()
  @IsIn(RESTRICTION_STATUSES)
  status?: RestrictionStatus;

  @ApiPropertyOptional({ example: 'US', description: 'only restrictions covering this nationality' })
  @IsOptional()
  @IsString()
  @Matches(UPPER_CASE_CODE, { message: 'nationality must be two upper-case letters (ISO 3166-1 alpha-2)' })
  @IsISO31661Alpha2({ message: 'nationality must be an ISO 3166-1 alpha-2 country code' })
  nationality?: string;
}
