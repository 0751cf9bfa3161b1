import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty } from 'class-validator';
import { ApiCount, ApiDate, IsCalendarDate } from '#libs/shared';

const BY_NATIONALITY = {
  type: 'object' as const,
  propertyNames: { pattern: '^[A-Z]{2}$' },
  additionalProperties: { type: 'integer' as const, minimum: 1 },
};

export class ExposureQueryDto {
  @ApiProperty({ example: '2027-07-01', description: 'first night (included)' })
  @IsNotEmpty()
  @IsCalendarDate()
  from: string;

  @ApiProperty({ example: '2027-07-15', description: 'end of the range (excluded), like a check-out date' })
  @IsNotEmpty()
  @IsCalendarDate()
  to: string;
}

export class ExposureNightDto {
  @ApiDate({ example: '2027-07-01' }) date: string;
  @ApiCount({ example: 12840, description: 'live (held + confirmed) guests that night' }) guests: number;
  @ApiProperty({ ...BY_NATIONALITY, example: { RU: 9120, CN: 2200, KP: 1520 }, description: 'guests by nationality' })
  byNationality: Record<string, number>;
}

export class ExposureDto {
  @ApiProperty({ type: [ExposureNightDto], description: 'every night of [from, to), nights without guests included' })
  nights: ExposureNightDto[];
  @ApiProperty({
    ...BY_NATIONALITY,
    example: { RU: 120000, CN: 30800 },
    description: 'guest-nights by nationality over the range, largest first',
  })
  totals: Record<string, number>;
}
