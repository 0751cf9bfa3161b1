import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { IsInstantWithOffset, PageQueryDto } from '#libs/shared';
import { AUDIT_ACTIONS, AUDIT_CAUSE_TYPES, AUDIT_ENTITY_TYPES, AuditAction, AuditEntityType, AuditEventRow } from '../audit-event';

export class AuditActorDto {
  @ApiProperty({ enum: ['api_key', 'system'] }) type: 'api_key' | 'system';
  @ApiPropertyOptional({ format: 'uuid', description: "the API key (type api_key); agents are not shown operations' key ids" })
  keyId?: string;
  @ApiPropertyOptional({ enum: ['agent', 'operations'] }) role?: string;
  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String, description: "the key's agency (type api_key)" }) agencyId?:
    string | null;
}

export class AuditCauseDto {
  @ApiProperty({ enum: AUDIT_CAUSE_TYPES }) type: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'the restriction, flight or route suspension that caused the change' }) id?: string;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ enum: AUDIT_ACTIONS }) action: AuditAction;
  @ApiProperty({ enum: AUDIT_ENTITY_TYPES }) entityType: AuditEntityType;
  @ApiProperty({ description: 'the entity’s id (a night’s date for capacity.set)' }) entityId: string;
  @ApiProperty({ type: AuditActorDto }) actor: AuditActorDto;
  @ApiProperty({ type: AuditCauseDto }) cause: AuditCauseDto;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'object', properties: { from: {}, to: {} } },
    example: { status: { from: 'held', to: 'confirmed' } },
    description: 'each changed field, {from, to}; guests only as guestCount and nationalities',
  })
  changes: Record<string, { from: unknown; to: unknown }>;
  @ApiProperty({ nullable: true, type: String, description: 'the HTTP request id (x-request-id); null for background jobs' }) requestId:
    string | null;

  /** Agents never see operations' key ids: an operations actor shows its role only. */
  static from(row: AuditEventRow, viewer: 'agent' | 'operations'): AuditEventDto {
    const hideKey = viewer === 'agent' && row.actorRole !== 'agent';
    const actor: AuditActorDto =
      row.actorType === 'api_key'
        ? {
            type: 'api_key',
            ...(hideKey ? {} : { keyId: row.actorKeyId as string }),
            role: row.actorRole as string,
            agencyId: row.actorAgencyId,
          }
        : { type: 'system' };
    return {
      id: row.id,
      at: new Date(row.at).toISOString(),
      action: row.action,
      entityType: row.entityType,
      entityId: row.entityId,
      actor,
      cause: row.causeId ? { type: row.causeType, id: row.causeId } : { type: row.causeType },
      changes: row.changes,
      requestId: row.requestId,
    };
  }
}

export class AuditEventPageDto {
  @ApiProperty({ type: [AuditEventDto] }) data: AuditEventDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class AuditHistoryDto {
  @ApiProperty({ type: [AuditEventDto], description: 'oldest first' }) data: AuditEventDto[];
}

export class ListAuditEventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: AUDIT_ENTITY_TYPES })
  @IsOptional()
  @IsIn(AUDIT_ENTITY_TYPES)
  entityType?: AuditEntityType;

  @ApiPropertyOptional({ description: 'an entity id (uuid), or a night’s date (YYYY-MM-DD)' })
  @IsOptional()
  @IsString()
  @MaxLength(36)
  @Matches(/^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{4}-\d{2}-\d{2})$/i, {
    message: 'entityId must be a uuid or a date YYYY-MM-DD',
  })
  entityId?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS)
  action?: AuditAction;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'the restriction, flight or suspension that caused the events ("everything restriction X did")',
  })
  @IsOptional()
  @IsUUID()
  causeId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'events made with this API key' })
  @IsOptional()
  @IsUUID()
  actorKeyId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'events at or after this instant' })
  @IsOptional()
  @IsInstantWithOffset()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'events before this instant' })
  @IsOptional()
  @IsInstantWithOffset()
  to?: string;
}
