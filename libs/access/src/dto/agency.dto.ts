import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUrl, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { IsOmittable } from '#libs/shared';
import type { AgencyRow } from '../access.repository';
import { PARTY_POLICIES, PartyPolicy } from '../party-policy';
import { ROLES, Role } from '../principal';

/** Names are stored without surrounding white space, so one of spaces only is blank and refused. */
const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

const WEBHOOK_URL_RULES = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** The optional `partyPolicy` of creating and updating an agency: one of the policies, never null. */
const PartyPolicyField = (): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({
      enum: PARTY_POLICIES,
      default: 'cancel_booking',
      description:
        'what enforcement of a restriction does with a booking it covers only partly: cancel it, remove the covered guests, or remove them and ask the agency to keep or cancel by a deadline',
    }),
    IsOmittable(), // a policy is always set: null is refused
    IsIn(PARTY_POLICIES),
  );

export class CreateAgencyDto {
  @ApiProperty({
    example: 'Vostok Travel',
    minLength: 1,
    maxLength: 200,
    description: 'stored without leading and trailing white space; not blank',
  })
  @Transform(trimmed)
  @IsString()
  @MinLength(1, { message: 'name must not be blank' })
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ example: 'https://hooks.vostok-travel.example/kalma', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  @IsUrl(WEBHOOK_URL_RULES)
  webhookUrl?: string | null;

  @PartyPolicyField()
  partyPolicy?: PartyPolicy;
}

export class UpdateAgencyDto {
  @ApiPropertyOptional({
    example: 'Vostok Travel',
    minLength: 1,
    maxLength: 200,
    description: 'stored without leading and trailing white space; not blank',
  })
  @IsOmittable() // an agency always has a name: null is refused, not passed on to the NOT NULL column
  @Transform(trimmed)
  @IsString()
  @MinLength(1, { message: 'name must not be blank' })
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'null removes the webhook', nullable: true, example: 'https://hooks.vostok-travel.example/kalma' })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsString()
  @MaxLength(2000)
  @IsUrl(WEBHOOK_URL_RULES)
  webhookUrl?: string | null;

  @PartyPolicyField()
  partyPolicy?: PartyPolicy;
}

export class CreateApiKeyDto {
  @ApiPropertyOptional({ example: 'booking engine', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  label?: string;

  @ApiPropertyOptional({ enum: ROLES, default: 'agent' })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}

export class AgencyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'Vostok Travel' }) name: string;
  @ApiProperty({ nullable: true, type: String, format: 'uri', example: 'https://hooks.vostok-travel.example/kalma' }) webhookUrl:
    string | null;
  @ApiProperty({ enum: PARTY_POLICIES, description: 'what enforcement does with a booking a restriction covers only partly' })
  partyPolicy: PartyPolicy;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static from(row: AgencyRow): AgencyDto {
    return {
      id: row.id,
      name: row.name,
      webhookUrl: row.webhookUrl,
      partyPolicy: row.partyPolicy,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }
}

export class AgencyWithSecretDto extends AgencyDto {
  @ApiProperty({
    description: 'Standard Webhooks signing secret; shown only on creation and rotation',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  webhookSecret: string;

  static withSecret(row: AgencyRow): AgencyWithSecretDto {
    return { ...AgencyDto.from(row), webhookSecret: row.webhookSecret };
  }
}

export class AgencyPageDto {
  @ApiProperty({ type: [AgencyDto] }) data: AgencyDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) agencyId: string | null;
  @ApiProperty({ nullable: true, type: String }) label: string | null;
  @ApiProperty({ example: 'kalma_agt_Ab3x', description: 'first characters of the key, to tell keys apart' }) keyPrefix: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt: string | null;
}

export class IssuedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key: shown once, store it now', example: 'kalma_agt_q2l0mYlV0n6Xh1nCwHq2bV9Gf0Ck5eEw0d8c7yQeZ3s' })
  key: string;
}
