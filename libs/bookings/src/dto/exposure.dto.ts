import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty } from 'class-validator';
import { IsCalendarDate } from '#libs/shared';

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
  @ApiProperty({ example: '2027-07-01' }) date: string;
  @ApiProperty({ example: 12840, description: 'live (held + confirmed) guests that night' }) guests: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { RU: 9120, CN: 2200, KP: 1520 }, description: 'guests by nationality' })
  byNationality: Record<string, number>;
}

export class ExposureDto {
  @ApiProperty({ type: [ExposureNightDto], description: 'every night of [from, to), nights without guests included' }) nights: ExposureNightDto[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { RU: 120000, CN: 30800 },
    description: 'guest-nights by nationality over the range, largest first',
  })
  totals: Record<string, number>;
}
